CREATE TABLE `load_test_runs` (
	`id` text PRIMARY KEY NOT NULL,
	`load_test_id` text NOT NULL,
	`name` text NOT NULL,
	`account_id` text NOT NULL,
	`org_id` text NOT NULL,
	`project_id` text NOT NULL,
	`env_id` text,
	`script_revision_id` text NOT NULL,
	`target_users` integer NOT NULL,
	`spawn_rate` real NOT NULL,
	`duration_seconds` integer NOT NULL,
	`status` text NOT NULL,
	`started_at` integer,
	`finished_at` integer,
	`failure_reason` text,
	`last_metrics` text,
	`metadata` text NOT NULL,
	`created_at` integer NOT NULL,
	`created_by` text NOT NULL,
	`updated_at` integer NOT NULL,
	`updated_by` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `runs_test_idx` ON `load_test_runs` (`load_test_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `runs_created_idx` ON `load_test_runs` (`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `runs_scope_idx` ON `load_test_runs` (`account_id`,`org_id`,`project_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `runs_status_idx` ON `load_test_runs` (`status`);--> statement-breakpoint
CREATE TABLE `load_tests` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`description` text NOT NULL,
	`tags` text NOT NULL,
	`account_id` text NOT NULL,
	`org_id` text NOT NULL,
	`project_id` text NOT NULL,
	`env_id` text,
	`locust_cluster_id` text,
	`target_url` text NOT NULL,
	`latest_revision_id` text NOT NULL,
	`latest_revision_number` integer NOT NULL,
	`scenario_id` text,
	`default_users` integer NOT NULL,
	`default_spawn_rate` real NOT NULL,
	`default_duration_sec` integer NOT NULL,
	`max_duration_sec` integer NOT NULL,
	`recent_runs` text NOT NULL,
	`metadata` text NOT NULL,
	`created_at` integer NOT NULL,
	`created_by` text NOT NULL,
	`updated_at` integer NOT NULL,
	`updated_by` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `load_tests_created_idx` ON `load_tests` (`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `load_tests_scope_idx` ON `load_tests` (`account_id`,`org_id`,`project_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `metrics_timeseries` (
	`load_test_run_id` text NOT NULL,
	`seq` integer NOT NULL,
	`timestamp` integer NOT NULL,
	`load_test_id` text NOT NULL,
	`account_id` text NOT NULL,
	`org_id` text NOT NULL,
	`project_id` text NOT NULL,
	`env_id` text,
	`snapshot` text NOT NULL,
	PRIMARY KEY(`load_test_run_id`, `seq`)
);
--> statement-breakpoint
CREATE INDEX `metrics_run_time_idx` ON `metrics_timeseries` (`load_test_run_id`,`timestamp`);--> statement-breakpoint
CREATE TABLE `script_revisions` (
	`id` text PRIMARY KEY NOT NULL,
	`load_test_id` text NOT NULL,
	`revision_number` integer NOT NULL,
	`script_content` text NOT NULL,
	`description` text NOT NULL,
	`created_at` integer NOT NULL,
	`created_by` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `script_revisions_number_idx` ON `script_revisions` (`load_test_id`,`revision_number`);