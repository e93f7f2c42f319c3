import { adminRouter } from "./routers/admin";
import { authRouter } from "./routers/auth";
import { leadersRouter } from "./routers/leaders";
import { createCallerFactory, router } from "./trpc";

export const appRouter = router({
  auth: authRouter,
  leaders: leadersRouter,
  admin: adminRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
