DROP INDEX "orders_account_idx";--> statement-breakpoint
CREATE INDEX "orders_due_idx" ON "orders" USING btree ("created_at","client_order_id") WHERE "orders"."status" in ('pending_submit', 'unknown');--> statement-breakpoint
CREATE INDEX "orders_account_idx" ON "orders" USING btree ("broker_account_id","status") WHERE "orders"."status" not in ('filled', 'cancelled', 'rejected', 'expired');