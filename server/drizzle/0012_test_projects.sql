CREATE TABLE `script_files` (
	`revision_id` text NOT NULL,
	`path` text NOT NULL,
	`load_test_id` text NOT NULL,
	`content` blob NOT NULL,
	PRIMARY KEY(`revision_id`, `path`)
);
--> statement-breakpoint
CREATE INDEX `script_files_test_idx` ON `script_files` (`load_test_id`);--> statement-breakpoint
CREATE TABLE `secrets` (
	`name` text NOT NULL,
	`account_id` text NOT NULL,
	`org_id` text NOT NULL,
	`project_id` text NOT NULL,
	`scope_env` text NOT NULL,
	`ciphertext` text NOT NULL,
	`created_at` integer NOT NULL,
	`created_by` text NOT NULL,
	`updated_at` integer NOT NULL,
	`updated_by` text NOT NULL,
	PRIMARY KEY(`account_id`, `org_id`, `project_id`, `scope_env`, `name`)
);
--> statement-breakpoint
ALTER TABLE `load_test_runs` ADD `target_url` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `load_test_runs` ADD `tags` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `load_test_runs` ADD `env` text DEFAULT '{}' NOT NULL;--> statement-breakpoint
ALTER TABLE `load_test_runs` ADD `secrets` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `load_test_runs` ADD `stages` text;--> statement-breakpoint
ALTER TABLE `load_test_runs` ADD `shape_note` text;--> statement-breakpoint
ALTER TABLE `load_tests` ADD `default_stages` text;--> statement-breakpoint
ALTER TABLE `load_tests` ADD `env` text DEFAULT '{}' NOT NULL;--> statement-breakpoint
ALTER TABLE `load_tests` ADD `secrets` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `script_revisions` ADD `files` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
UPDATE `load_test_runs` SET `target_url` = coalesce((SELECT `target_url` FROM `load_tests` WHERE `load_tests`.`id` = `load_test_runs`.`load_test_id`), ''), `tags` = coalesce((SELECT `tags` FROM `load_tests` WHERE `load_tests`.`id` = `load_test_runs`.`load_test_id`), '[]');
