export type { ConsoleDeps } from "./consoleDeps.js";
export { ConsoleRequestError } from "./consoleErrors.js";
export { CONSOLE_HEADER, type ConsoleHandler, createConsoleHandler } from "./consoleHandler.js";
export { blockedReasonsOf } from "./routeState.js";
export { type ConsoleServer, startConsoleServer } from "./startConsoleServer.js";
