CREATE TABLE `run_stats` (
	`load_test_run_id` text PRIMARY KEY NOT NULL,
	`load_test_id` text NOT NULL,
	`stats` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `run_stats_test_idx` ON `run_stats` (`load_test_id`);--> statement-breakpoint
ALTER TABLE `metrics_timeseries` RENAME TO `metrics_timeseries_v1`;--> statement-breakpoint
DROP INDEX IF EXISTS `metrics_run_time_idx`;--> statement-breakpoint
CREATE TABLE `metrics_timeseries` (
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
	`body` blob NOT NULL,
	PRIMARY KEY(`load_test_run_id`, `seq`)
);
--> statement-breakpoint
CREATE INDEX `metrics_run_time_idx` ON `metrics_timeseries` (`load_test_run_id`,`timestamp`);
