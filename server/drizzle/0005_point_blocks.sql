CREATE TABLE `metrics_blocks` (
	`load_test_run_id` text NOT NULL,
	`block` integer NOT NULL,
	`snapshots` integer NOT NULL,
	`seq` integer NOT NULL,
	`timestamp` integer NOT NULL,
	`interval_ms` integer NOT NULL,
	`users` integer NOT NULL,
	`requests` integer NOT NULL,
	`failures` integer NOT NULL,
	`sum_response_ms` real NOT NULL,
	`min_response_ms` real NOT NULL,
	`max_response_ms` real NOT NULL,
	`histogram` blob NOT NULL,
	PRIMARY KEY(`load_test_run_id`, `block`)
) WITHOUT ROWID;
