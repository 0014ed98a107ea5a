ALTER TABLE `load_test_runs` ADD `thresholds` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `load_test_runs` ADD `verdict` text;