-- One name per thing: a run's duration is durationSec (as a test's and a stage's are), and an
-- autoStop's window windowSec (as a threshold's is). The old names stay in the API, deprecated.
ALTER TABLE `load_test_runs` ADD `duration_sec` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
UPDATE `load_test_runs` SET `duration_sec` = `duration_seconds`;--> statement-breakpoint
UPDATE `load_test_runs` SET `auto_stop` = json_set(`auto_stop`, '$.windowSec', json_extract(`auto_stop`, '$.windowSeconds')) WHERE json_type(`auto_stop`) = 'object' AND json_extract(`auto_stop`, '$.windowSec') IS NULL;--> statement-breakpoint
UPDATE `load_tests` SET `auto_stop` = json_set(`auto_stop`, '$.windowSec', json_extract(`auto_stop`, '$.windowSeconds')) WHERE json_type(`auto_stop`) = 'object' AND json_extract(`auto_stop`, '$.windowSec') IS NULL;--> statement-breakpoint
UPDATE `schedules` SET `overrides` = json_set(`overrides`, '$.autoStop.windowSec', json_extract(`overrides`, '$.autoStop.windowSeconds')) WHERE json_type(`overrides`, '$.autoStop') = 'object' AND json_extract(`overrides`, '$.autoStop.windowSec') IS NULL;
