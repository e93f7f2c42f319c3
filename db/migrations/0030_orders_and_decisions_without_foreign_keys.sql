ALTER TABLE "orders" DROP CONSTRAINT "orders_broker_account_id_broker_accounts_id_fk";
--> statement-breakpoint
ALTER TABLE "orders" DROP CONSTRAINT "orders_relationship_id_copy_relationships_id_fk";
--> statement-breakpoint
ALTER TABLE "orders" DROP CONSTRAINT "orders_symbol_instruments_symbol_fk";
--> statement-breakpoint
ALTER TABLE "copy_decisions" DROP CONSTRAINT "copy_decisions_relationship_id_copy_relationships_id_fk";
