CREATE TABLE `run_files` (
	`load_test_run_id` text NOT NULL,
	`name` text NOT NULL,
	`load_test_id` text NOT NULL,
	`gzipped` blob NOT NULL,
	`bytes` integer NOT NULL,
	`truncated` integer NOT NULL,
	`collected_at` integer NOT NULL,
	PRIMARY KEY(`load_test_run_id`, `name`)
);
--> statement-breakpoint
CREATE INDEX `run_files_test_idx` ON `run_files` (`load_test_id`);