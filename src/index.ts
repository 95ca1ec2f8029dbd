import { createApp } from "./app";

const app = createApp();

export default app;
export { KeyGuard } from "./limiter/key-guard";
