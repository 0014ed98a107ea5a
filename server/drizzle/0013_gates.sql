ALTER TABLE `load_test_runs` ADD `baseline` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `load_test_runs` ADD `trigger` text DEFAULT '{"type":"api","scheduleId":null}' NOT NULL;--> statement-breakpoint
ALTER TABLE `load_tests` ADD `fail_on_regression` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `load_tests` ADD `regression_rule` text DEFAULT '{"latencyPercent":10,"latencyMinMs":1,"errorRatePoints":1}' NOT NULL;--> statement-breakpoint
UPDATE `load_test_runs` SET `verdict` = json_set(`verdict`, '$.aborted', json('false'), '$.abortedBy', json('null'), '$.baselineRunId', json('null'), '$.regressions', json('[]')) WHERE `verdict` IS NOT NULL AND json_extract(`verdict`, '$.aborted') IS NULL;
