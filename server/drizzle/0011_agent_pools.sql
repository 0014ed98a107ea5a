CREATE TABLE `agent_pools` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`account_id` text NOT NULL,
	`org_id` text NOT NULL,
	`project_id` text NOT NULL,
	`env_id` text,
	`token_hash` text,
	`token_rotated_at` integer NOT NULL,
	`created_at` integer NOT NULL,
	`created_by` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `agent_pools_scope_idx` ON `agent_pools` (`account_id`,`org_id`,`project_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `agents` (
	`id` text PRIMARY KEY NOT NULL,
	`pool_id` text NOT NULL,
	`name` text NOT NULL,
	`instance_id` text NOT NULL,
	`capacity` integer NOT NULL,
	`labels` text NOT NULL,
	`version` text NOT NULL,
	`address` text NOT NULL,
	`connected_at` integer NOT NULL,
	`last_seen_at` integer NOT NULL,
	`runs` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `agents_pool_name_idx` ON `agents` (`pool_id`,`name`);--> statement-breakpoint
ALTER TABLE `load_test_runs` ADD `agent_pool` text;--> statement-breakpoint
ALTER TABLE `load_test_runs` ADD `workers` integer;--> statement-breakpoint
ALTER TABLE `load_test_runs` ADD `min_workers` integer;--> statement-breakpoint
ALTER TABLE `load_test_runs` ADD `labels` text DEFAULT '{}' NOT NULL;--> statement-breakpoint
ALTER TABLE `load_test_runs` ADD `placement` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `load_test_runs` ADD `master_endpoint` text;--> statement-breakpoint
ALTER TABLE `load_test_runs` ADD `waiting_reason` text;--> statement-breakpoint
ALTER TABLE `load_test_runs` ADD `warnings` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `load_tests` ADD `agent_pool` text;--> statement-breakpoint
ALTER TABLE `load_tests` ADD `default_workers` integer;