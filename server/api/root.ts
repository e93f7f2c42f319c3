import "server-only";
import { accountRouter } from "./routers/account";
import { adminRouter } from "./routers/admin";
import { applicationsRouter } from "./routers/applications";
import { apiKeysRouter } from "./routers/api-keys";
import { authRouter } from "./routers/auth";
import { brokersRouter } from "./routers/brokers";
import { copiesRouter } from "./routers/copies";
import { feesRouter } from "./routers/fees";
import { leaderConsoleRouter } from "./routers/leader-console";
import { leadersRouter } from "./routers/leaders";
import { notificationsRouter } from "./routers/notifications";
import { opsRouter } from "./routers/ops";
import { portfolioRouter } from "./routers/portfolio";
import { trustRouter } from "./routers/trust";
import { securityRouter } from "./routers/security";
import { whatIfRouter } from "./routers/whatif";
import { createCallerFactory, router } from "./trpc";

export const appRouter = router({
  auth: authRouter,
  leaders: leadersRouter,
  copies: copiesRouter,
  fees: feesRouter,
  account: accountRouter,
  leaderConsole: leaderConsoleRouter,
  admin: adminRouter,
  portfolio: portfolioRouter,
  brokers: brokersRouter,
  notifications: notificationsRouter,
  apiKeys: apiKeysRouter,
  ops: opsRouter,
  trust: trustRouter,
  whatif: whatIfRouter,
  security: securityRouter,
  applications: applicationsRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
