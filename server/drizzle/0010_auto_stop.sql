ALTER TABLE `load_test_runs` ADD `auto_stop` text;--> statement-breakpoint
ALTER TABLE `load_tests` ADD `auto_stop` text;--> statement-breakpoint
UPDATE `load_tests` SET `auto_stop` = '{"errorRatePercent":90,"windowSeconds":60}';
