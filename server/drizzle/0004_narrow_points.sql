CREATE TABLE `metrics_bodies` (
	`load_test_run_id` text NOT NULL,
	`seq` integer NOT NULL,
	`body` blob NOT NULL,
	PRIMARY KEY(`load_test_run_id`, `seq`)
) WITHOUT ROWID;
--> statement-breakpoint
INSERT INTO `metrics_bodies` SELECT `load_test_run_id`, `seq`, `body` FROM `metrics_timeseries`;
--> statement-breakpoint
CREATE TABLE `__new_metrics_timeseries` (
	`load_test_run_id` text NOT NULL,
	`seq` integer NOT NULL,
	`timestamp` integer NOT NULL,
	`load_test_id` text NOT NULL,
	`account_id` text NOT NULL,
	`org_id` text NOT NULL,
	`project_id` text NOT NULL,
	`env_id` text,
	`interval_ms` integer NOT NULL,
	`users` integer NOT NULL,
	`requests` integer NOT NULL,
	`failures` integer NOT NULL,
	`sum_response_ms` real NOT NULL,
	`min_response_ms` real NOT NULL,
	`max_response_ms` real NOT NULL,
	`histogram` blob NOT NULL,
	`merged` integer DEFAULT 1 NOT NULL,
	PRIMARY KEY(`load_test_run_id`, `seq`)
) WITHOUT ROWID;
--> statement-breakpoint
INSERT INTO `__new_metrics_timeseries` SELECT `load_test_run_id`, `seq`, `timestamp`, `load_test_id`, `account_id`, `org_id`, `project_id`, `env_id`, `interval_ms`, `users`, `requests`, `failures`, `sum_response_ms`, `min_response_ms`, `max_response_ms`, `histogram`, `merged` FROM `metrics_timeseries`;
--> statement-breakpoint
DROP TABLE `metrics_timeseries`;
--> statement-breakpoint
ALTER TABLE `__new_metrics_timeseries` RENAME TO `metrics_timeseries`;
--> statement-breakpoint
CREATE INDEX `metrics_run_time_idx` ON `metrics_timeseries` (`load_test_run_id`,`timestamp`);
--> statement-breakpoint
CREATE INDEX `metrics_unmerged_idx` ON `metrics_timeseries` (`load_test_run_id`,`seq`) WHERE merged = 0;
