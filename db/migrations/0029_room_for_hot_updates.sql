-- Room on each page for the next version of a row (ADR 0041, session 10). These tables are
-- updated in place on every trade or fan-out, in columns no index covers; with full pages
-- the new version lands on another page and every index of the table gets an entry
-- (measured: 0 of 10 000 balance updates and 40 % of copy updates were HOT). With room on
-- the page the update is HOT: no index entry and no extra page. Applies to pages written
-- from now on; existing pages keep their space until rewritten.
ALTER TABLE "account_balances" SET (fillfactor = 50);
--> statement-breakpoint
ALTER TABLE "copy_relationships" SET (fillfactor = 50);
--> statement-breakpoint
ALTER TABLE "positions" SET (fillfactor = 50);
--> statement-breakpoint
ALTER TABLE "copy_positions" SET (fillfactor = 50);
--> statement-breakpoint
ALTER TABLE "broker_event_cursors" SET (fillfactor = 50);
--> statement-breakpoint
ALTER TABLE "paper_accounts" SET (fillfactor = 50);
--> statement-breakpoint
ALTER TABLE "paper_positions" SET (fillfactor = 50);
