ALTER TABLE `load_test_runs` ADD `outcome` text;--> statement-breakpoint
CREATE INDEX `runs_outcome_idx` ON `load_test_runs` (`outcome`,`created_at`);