DROP INDEX "paper_orders_open_idx";--> statement-breakpoint
DROP INDEX "paper_orders_symbol_status_idx";--> statement-breakpoint
CREATE INDEX "paper_orders_open_idx" ON "paper_orders" USING btree ("account_id","status") WHERE "paper_orders"."status" in ('accepted', 'partially_filled');--> statement-breakpoint
CREATE INDEX "paper_orders_symbol_status_idx" ON "paper_orders" USING btree ("symbol","status") WHERE "paper_orders"."status" in ('accepted', 'partially_filled');