ALTER TABLE "fills" DROP CONSTRAINT "fills_order_id_orders_id_fk";
--> statement-breakpoint
ALTER TABLE "fills" DROP CONSTRAINT "fills_broker_account_id_broker_accounts_id_fk";
--> statement-breakpoint
ALTER TABLE "postings" DROP CONSTRAINT "postings_journal_id_journals_id_fk";
--> statement-breakpoint
ALTER TABLE "postings" DROP CONSTRAINT "postings_ledger_account_id_ledger_accounts_id_fk";
