import { createServer, ServerResponse, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { TRPCError } from "@trpc/server";
import { nodeHTTPRequestHandler } from "@trpc/server/adapters/node-http";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { applyWSSHandler } from "@trpc/server/adapters/ws";
import { WebSocket, WebSocketServer } from "ws";
import { createOpenApiNodeHttpHandler } from "trpc-to-openapi";
import { bearerToken, createAuthenticator, tokensEqual } from "../auth.js";
import type { Context, Services } from "../context.js";
import { describeError } from "../errors.js";
import { appRouter, serverRouter } from "../routers/index.js";
import { createCallerFactory } from "../trpc.js";
import { DOCS_HTML, docsAsset } from "./docsPage.js";
import { serveCsvExport } from "./csvExport.js";
import { serveRunFile } from "./runFilesRoute.js";
import { serveRunReport } from "./runReportRoute.js";
import { agentWheel } from "../agents/agentPackage.js";
import { dashboardFile } from "./dashboard.js";
import { isStoreUnavailable } from "../store/unavailable.js";
import { CREATES, renderOpenApi, routeTable, type OpenApiDocumentName } from "./openapi.js";
import { BodyError, readJsonBody } from "./jsonBody.js";
import { pinInputCoercion } from "./noCoercion.js";
import { rewriteRestErrors } from "./restErrors.js";
import { pageSecurityPolicy, setSecurityHeaders } from "./securityHeaders.js";

export interface App {
  server: Server;
  /** Starts listening; resolves with the bound address (port 0 picks a free one). */
  listen(): Promise<AddressInfo>;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  if (type.startsWith("text/html")) res.setHeader("content-security-policy", pageSecurityPolicy(body.toString()));
  res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
  res.end(body);
}

const sendJson = (res: ServerResponse, status: number, body: unknown): void =>
  send(res, status, "application/json", JSON.stringify(body));

/** A number as a query string writes it (the schemas' coercion would read "", " 5" or "0x10" as numbers too). */
const NUMBER = /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/;

/** A JSON body, or a body the client sent without saying what it is. */
const isJson = (req: IncomingMessage): boolean =>
  req.headers["content-type"] === undefined || req.headers["content-type"].toLowerCase().startsWith("application/json");

/** What tRPC's adapters pass besides the request: the client's connection params (WebSocket, SSE). */
interface RequestInfo {
  connectionParams: Record<string, string | undefined> | null;
}

/** What /readyz says of the run sandbox: "on", "off" (the operator's choice), or why it cannot work here. */
function sandboxState({ sandbox }: Services): string {
  if (sandbox.mode === "off") return "off";
  return sandbox.available ? "on" : `unavailable: ${sandbox.reason}; only the admin token may start runs`;
}

/** Where the Locust plugin pushes its snapshots (the hot path, timed from a request's arrival). */
const INGEST_METRICS_PATH = "/v1/internal/locust/metrics";

/** One HTTP server for everything: /trpc (with WebSocket upgrade and SSE), /v1 (REST), /openapi.*, /docs, /healthz, /readyz. */
export function createApp(services: Services, adminToken: string): App {
  const authenticate = createAuthenticator(services.config, adminToken);
  // Browsers cannot set headers on a WebSocket or an EventSource: those send the token as a connection param.
  const createContext = ({ req, res, info }: { req: IncomingMessage; res?: unknown; info?: RequestInfo }): Context => {
    // A WebSocket's context is made once for the connection: its subscriptions are counted together.
    const socket = res instanceof WebSocket ? res : undefined;
    const { token, ticket } = info?.connectionParams ?? {};
    // Over a WebSocket, connection params travel in its first message; over SSE, in the URL, where a
    // long-lived token would end up in access logs: there, only a single-use ticket is taken.
    const tokenInUrl = token !== undefined && socket === undefined && req.headers.authorization === undefined;
    const authorization =
      req.headers.authorization ?? (token !== undefined && !tokenInUrl ? `Bearer ${token}` : undefined);
    const principal =
      ticket !== undefined && authorization === undefined
        ? services.liveTickets.redeem(ticket)
        : authenticate(authorization);
    return {
      ...services,
      principal,
      bearerToken: bearerToken(authorization),
      authProblem: tokenInUrl
        ? "a token in the URL would end up in access logs: send it in the Authorization header, or get a single-use ticket (POST /v1/live-tickets) and pass connectionParams {ticket}"
        : ticket !== undefined && principal === undefined
          ? "the ticket is unknown, expired or already used: get a new one (POST /v1/live-tickets)"
          : undefined,
      ...(socket !== undefined ? { connection: { subscriptions: 0 } } : {}),
      unsent: () =>
        socket !== undefined ? socket.bufferedAmount : res instanceof ServerResponse ? res.writableLength : 0,
      ...(res instanceof ServerResponse
        ? { callerGone: (listener) => res.once("close", () => !res.writableFinished && listener()) }
        : {}),
    };
  };
  const { maxBatchSize } = services.config.server.limits;
  const maxBodySize = services.config.server.maxBodyBytes;
  const onError = ({ error, path }: { error: Error & { code?: string }; path?: string | undefined }): void => {
    if (error.code === "INTERNAL_SERVER_ERROR") services.logger.error({ err: error, path }, "procedure failed");
  };

  pinInputCoercion(serverRouter);
  const rest = createOpenApiNodeHttpHandler({
    router: serverRouter,
    createContext,
    maxBodySize,
    onError,
    responseMeta: ({ paths, errors }) =>
      errors.length === 0 && paths?.length === 1 && CREATES.has(paths[0] ?? "") ? { status: 201 } : {},
  });

  const documents = new Map<string, string>();
  const openApiDocument = (name: OpenApiDocumentName): string => {
    let text = documents.get(name);
    if (text === undefined) documents.set(name, (text = renderOpenApi(name)));
    return text;
  };

  const routeOf = routeTable();

  // The hot path: a snapshot push calls its procedure directly, with the procedure's middleware and
  // its input and output schemas (the OpenAPI document's), without the OpenAPI layer's request
  // handling (a fifth of a push's CPU in a profile). Its answers, refusals included, are the REST
  // layer's (test/ingest.test.ts holds them).
  const callServer = createCallerFactory(serverRouter);
  async function pushSnapshot(req: IncomingMessage & { body?: unknown }, res: ServerResponse): Promise<void> {
    // As the REST layer takes a body: its fields spread into the input.
    const input: unknown = { ...(req.body as object) };
    try {
      sendJson(res, 200, await callServer(createContext({ req, res })).ingest.metrics(input as never));
    } catch (cause) {
      const error = cause instanceof TRPCError ? cause : new TRPCError({ code: "INTERNAL_SERVER_ERROR", cause });
      onError({ error, path: "ingest.metrics" });
      const { appCode, message, field, issues } = describeError(error);
      sendJson(res, getHTTPStatusCodeFromError(error), {
        code: appCode,
        message,
        ...(field !== undefined ? { field } : {}),
        ...(issues !== undefined ? { issues } : {}),
      });
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    setSecurityHeaders(res);
    const url = new URL(req.url ?? "/", "http://localhost");
    const path = url.pathname;
    // A snapshot push is timed from here: reading, parsing and checking its body count too.
    if (path === INGEST_METRICS_PATH) services.metrics.timeIngestRequest((end) => res.once("close", end));
    const api = path.startsWith("/trpc/") || path === "/trpc" ? "trpc" : path.startsWith("/v1/") ? "rest" : undefined;
    const route = api === "rest" ? routeOf(path) : undefined;
    const method = req.method ?? "";
    if (route !== undefined && !route.methods.includes(method)) {
      res.setHeader("allow", route.methods.join(", "));
      sendJson(res, 405, {
        code: "METHOD_NOT_ALLOWED",
        message: `${method} ${path} is not an operation; this path takes ${route.methods.join(", ")}`,
      });
      return;
    }
    // A query name an object already has (`__proto__`, `constructor`) would reach the OpenAPI
    // layer's query parser as a property, not a parameter; no operation takes one.
    for (const name of url.searchParams.keys()) {
      if (name in Object.prototype) {
        sendJson(res, 400, {
          code: "INVALID_INPUT",
          message: `${name}: not a parameter of any operation`,
          field: name,
        });
        return;
      }
    }
    for (const name of route?.numericQuery[method] ?? []) {
      if (url.searchParams.getAll(name).some((value) => !NUMBER.test(value))) {
        sendJson(res, 400, { code: "INVALID_INPUT", message: `${name}: must be a number`, field: name });
        return;
      }
    }
    if (api !== undefined && req.method !== "GET" && req.method !== "HEAD" && isJson(req)) {
      try {
        await readJsonBody(req, maxBodySize, api === "trpc" ? "text" : "parsed");
      } catch (error) {
        if (!(error instanceof BodyError)) throw error;
        sendJson(res, error.status, { code: error.code, message: error.message });
        return;
      }
    }
    if (path === INGEST_METRICS_PATH && req.method === "POST" && "body" in req) {
      await pushSnapshot(req, res);
      return;
    }
    if (api === "trpc") {
      await nodeHTTPRequestHandler({
        router: appRouter,
        req,
        res,
        path: path.slice("/trpc/".length),
        createContext,
        maxBodySize,
        maxBatchSize,
        onError,
      });
      return;
    }
    if (req.method === "GET" && (await serveCsvExport(path, url.searchParams, createContext({ req }), res))) return;
    if (req.method === "GET" && (await serveRunReport(path, createContext({ req }), res))) return;
    if (req.method === "GET" && (await serveRunFile(path, createContext({ req }), res))) return;
    if (path.startsWith("/v1/")) {
      // A bodiless POST (`curl -X POST …/stop`) has no content type; it means an empty JSON object.
      // The OpenAPI layer takes a body already on the request as parsed.
      const bodiless =
        req.method === "POST" &&
        req.headers["content-type"] === undefined &&
        (req.headers["content-length"] ?? "0") === "0" &&
        req.headers["transfer-encoding"] === undefined;
      if (bodiless) Object.assign(req, { body: {} });
      const type = bodiless ? "application/json" : req.headers["content-type"];
      // It also parses bodies only for an exact `application/json`; charset suffixes are common.
      if (type?.toLowerCase().startsWith("application/json")) req.headers["content-type"] = "application/json";
      rewriteRestErrors(res);
      await rest(req, res);
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      sendJson(res, 404, { code: "NOT_FOUND", message: `no route for ${req.method ?? ""} ${path}` });
      return;
    }
    switch (path) {
      case "/healthz":
        sendJson(res, 200, { status: "ok" });
        return;
      case "/metrics": {
        const { metricsToken } = services.config.server;
        if (metricsToken !== undefined && !tokensEqual(bearerToken(req.headers.authorization) ?? "", metricsToken)) {
          res.setHeader("www-authenticate", "Bearer");
          sendJson(res, 401, {
            code: "UNAUTHORIZED",
            message: "GET /metrics needs Authorization: Bearer <server.metricsToken>",
          });
          return;
        }
        const { contentType, body } = await services.metrics.scrape();
        send(res, 200, contentType, body);
        return;
      }
      case "/readyz":
        try {
          await services.store.ping();
          sendJson(res, 200, { status: "ready", store: services.store.kind, sandbox: sandboxState(services) });
        } catch (error) {
          sendJson(res, 503, {
            status: "unavailable",
            store: services.store.kind,
            reason: String(error),
            sandbox: sandboxState(services),
          });
        }
        return;
      case "/openapi.json":
      case "/openapi.yaml":
      case "/openapi-ingest.json":
      case "/openapi-ingest.yaml": {
        const name = path.slice(1) as OpenApiDocumentName;
        send(res, 200, name.endsWith(".json") ? "application/json" : "application/yaml", openApiDocument(name));
        return;
      }
      case "/docs":
      case "/docs/":
        send(res, 200, "text/html; charset=utf-8", DOCS_HTML);
        return;
    }
    if (path.startsWith("/agent/")) {
      // The agent's wheel, to hosts that have only the server's address (and a pool token, which this
      // does not need: the wheel is the open plugin, no secret of any run or project).
      const wheel = await agentWheel();
      if (wheel !== undefined && path === wheel.info.path) {
        const etag = `"${wheel.info.sha256}"`;
        const held = req.headers["if-none-match"] === etag;
        res.writeHead(held ? 304 : 200, {
          "content-type": "application/octet-stream",
          "content-disposition": `attachment; filename="${wheel.info.fileName}"`,
          "cache-control": "no-cache",
          etag,
        });
        res.end(held ? undefined : wheel.body);
        return;
      }
      sendJson(res, 404, {
        code: wheel === undefined ? "AGENT_PACKAGE_MISSING" : "NOT_FOUND",
        message:
          wheel === undefined
            ? "this server has no agent wheel built: run scripts/setup-python.sh (npm start does) where it runs"
            : `no such file: the agent's wheel is ${wheel.info.path}`,
      });
      return;
    }
    if (path.startsWith("/docs/")) {
      const asset = await docsAsset(path.slice("/docs/".length));
      if (asset !== undefined) {
        send(res, 200, asset.type, asset.body);
        return;
      }
    }
    const page = await dashboardFile(path, {
      acceptEncoding: req.headers["accept-encoding"],
      ifNoneMatch: req.headers["if-none-match"],
    });
    if (page !== undefined) {
      if (page.page !== undefined) res.setHeader("content-security-policy", pageSecurityPolicy(page.page));
      res.writeHead(page.status, { "content-type": page.type, ...page.headers });
      res.end(page.status === 304 ? undefined : page.body);
      return;
    }
    sendJson(res, 404, { code: "NOT_FOUND", message: `no route for GET ${path}` });
  }

  // Long enough for every query the document allows (endpoint names, tag filters), percent-encoded.
  const server = createServer({ maxHeaderSize: 64 * 1024 }, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      const unavailable = isStoreUnavailable(error);
      services.logger.error({ err: error, url: req.url }, unavailable ? "store unavailable" : "request failed");
      if (res.headersSent) res.end();
      else if (unavailable)
        sendJson(res, 503, {
          code: "STORE_UNAVAILABLE",
          message: "the store cannot be reached right now; retry shortly",
        });
      else sendJson(res, 500, { code: "INTERNAL", message: "internal error" });
    });
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: maxBodySize });
  const websockets = applyWSSHandler({
    wss,
    router: appRouter,
    createContext,
    maxBatchSize,
    onError,
    keepAlive: { enabled: true, pingMs: 30_000, pongWaitMs: 5_000 },
  });
  server.on("upgrade", (req, socket, head) => {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    if (services.relay.handles(path)) {
      services.relay.upgrade(req, socket, head);
      return;
    }
    if (path !== "/trpc" && path !== "/trpc/") {
      socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n");
      return;
    }
    wss.handleUpgrade(req, socket, head, (client) => wss.emit("connection", client, req));
  });

  return {
    server,
    listen: () =>
      new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(services.config.server.port, services.config.server.host, () => {
          server.off("error", reject);
          resolve(server.address() as AddressInfo);
        });
      }),
    close: () =>
      new Promise((resolve) => {
        websockets.broadcastReconnectNotification();
        for (const client of wss.clients) client.terminate();
        services.relay.close();
        wss.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
