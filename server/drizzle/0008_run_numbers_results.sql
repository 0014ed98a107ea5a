ALTER TABLE `load_test_runs` ADD `number` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `load_test_runs` ADD `results` text;--> statement-breakpoint
ALTER TABLE `load_tests` ADD `run_count` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
UPDATE `load_test_runs` SET `number` = (SELECT count(*) FROM `load_test_runs` AS r WHERE r.`load_test_id` = `load_test_runs`.`load_test_id` AND (r.`created_at` < `load_test_runs`.`created_at` OR (r.`created_at` = `load_test_runs`.`created_at` AND r.`id` <= `load_test_runs`.`id`)));--> statement-breakpoint
UPDATE `load_tests` SET `run_count` = (SELECT count(*) FROM `load_test_runs` AS r WHERE r.`load_test_id` = `load_tests`.`id`);
