CREATE TABLE `schedules` (
	`id` text PRIMARY KEY NOT NULL,
	`load_test_id` text NOT NULL,
	`account_id` text NOT NULL,
	`org_id` text NOT NULL,
	`project_id` text NOT NULL,
	`cron` text NOT NULL,
	`timezone` text NOT NULL,
	`enabled` integer NOT NULL,
	`overrides` text NOT NULL,
	`thresholds` text,
	`next_run_at` integer,
	`ticks` text NOT NULL,
	`created_at` integer NOT NULL,
	`created_by` text NOT NULL,
	`updated_at` integer NOT NULL,
	`updated_by` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `schedules_test_idx` ON `schedules` (`load_test_id`,`created_at`);