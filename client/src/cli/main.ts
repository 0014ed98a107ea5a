import { parseArgs } from "node:util";
import { TRPCClientError } from "@trpc/client";
import { WebSocket } from "ws";
import { createLoadManagerClient } from "../index.js";
import { apiErrorData } from "@loadmgr/shared";
import { DEFAULT_URL, readProfile, resolveConnection, UsageError, writeProfile } from "./connection.js";
import { EXIT, OPTIONS, type CommandContext, type CommandResult, type Io } from "./options.js";
import { agents } from "./commands/agents.js";
import { pools } from "./commands/pools.js";
import { run } from "./commands/run.js";
import { runs } from "./commands/runs.js";
import { schedules } from "./commands/schedules.js";
import { secrets } from "./commands/secrets.js";
import { tests } from "./commands/tests.js";
import { webhooks } from "./commands/webhooks.js";

const HELP = `loadmgr — the Load Manager CLI

  loadmgr login [--url URL] --token TOKEN
  loadmgr tests create (-f locustfile.py [--file lib/x.py…] | --dir ./suite) --name NAME --target URL
                       [--account A --org O --project P] [--split data/users.csv…] (rows shared out among workers)
                       [--env E --users N --spawn-rate R --duration S --max-duration S --tag T…]
                       [--secret NAME… --param NAME=value… --stage SECONDS:USERS[:RATE]…]
                       [--pool POOL_ID [--workers N]] (its runs go to an agent pool; default: the server's host)
                       [--allow-host HOST…] (what its scripts may reach besides the target: host[:port], IP, CIDR, *.domain)
                       [--threshold "p95<300"]… (every run is judged against them unless it names its own)
                       [--fail-on-regression] (a run slower than its env's baseline fails its verdict)
  loadmgr tests list | tests show <id> | tests delete <id>
  loadmgr tests edit-script <id> (-f new.py [--file …] | --dir ./suite) [-m "why"] (-f alone keeps the other files)
  loadmgr tests revisions <id> | tests diff <id> <revA> <revB> (every file)
  loadmgr run <testId> [--users N --spawn-rate R --duration S | --stage SECONDS:USERS[:RATE]…] [--name NAME]
                       [--target URL --env E --tag T… --param NAME=value…] [--wait | --watch]
                       [--threshold "p95<300"]… [--workers N --min-workers N] (on a pool)
                       [--region NAME=SHARE…] (on a pool: e.g. --region eu=60 --region us=40 splits the workers
                       over agents labelled region=eu and region=us; each region's figures are kept)
                       [--threshold "p95<300 abort [window=10s] [delay=10s]"] (stops the run on a breach)
                       [--compare-baseline] (print the comparison with the env's baseline; exit 99 on a regression)
                       [--allow-no-success] (exit 0, not 98, when no request succeeded or 90 % failed)
                       [--summary markdown [--summary-file F]] (a Markdown summary at the end; appended to F,
                       e.g. $GITHUB_STEP_SUMMARY, instead of printed)
  loadmgr runs list [--test ID --status S --outcome O --env E --tag T] | runs show <id> | runs stop <id>
  loadmgr runs load <id> --users N [--spawn-rate R] (a running run's users from now on; not with stages)
  loadmgr runs compare <runA> <runB> | runs export <id> [--format csv|json]
  loadmgr runs baseline <id> [--clear] (later runs of its test in its env are compared with it)
  loadmgr runs report <id> [-o report.html] (the self-contained HTML report; stdout without -o)
  loadmgr runs files <id> [--dir D] (Locust's own CSVs and log, collected as its master ended; saved into D)
  loadmgr pools create --name NAME [--account A --org O --project P --env E] (prints the enrollment token once)
  loadmgr pools list | pools rotate-token <poolId> | pools revoke-token <poolId> | pools delete <poolId>
  loadmgr agents forget <agentId> --pool <poolId>
  loadmgr agents list [--pool POOL_ID]
  loadmgr secrets set NAME [--env E] (the value from stdin, or --value V) | secrets list [--env E] | secrets delete NAME [--env E]
  loadmgr webhooks create --to URL --event run.finished… [--format slack] [--secret S] [--env E]
                       (events: run.started run.finished run.failed run.stopped threshold.breached regression.detected)
  loadmgr webhooks list | webhooks deliveries <id> | webhooks enable <id> | webhooks disable <id> | webhooks delete <id>
  loadmgr schedules create <testId> --cron "0 2 * * 1-5" [--tz Europe/Berlin] [run overrides: --users --duration
                       --stage --target --env --tag --param --threshold…] | schedules list <testId>
  loadmgr schedules enable <id> | schedules disable <id> | schedules delete <id>

  --json       print what the API returns, as JSON
  --url/--token   override LOADMGR_URL / LOADMGR_TOKEN / the saved profile
Exit codes: 0 ok, 1 bad input or refused, 3 the run failed, 4 server unreachable,
98 no success (no successful request, or at least 90 % failed; --allow-no-success: 0),
99 a threshold breached (also when it aborted the run) or, with --compare-baseline, a regression.`;

/** The commands, by their first word. */
const COMMANDS: Record<string, (cx: CommandContext) => CommandResult> = {
  tests,
  run,
  runs,
  secrets,
  schedules,
  webhooks,
  pools,
  agents,
};

/** Runs one CLI invocation; returns the exit code. */
export async function main(argv: string[], io: Io): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    io.err(`loadmgr: ${(error as Error).message} (loadmgr --help)`);
    return EXIT.usage;
  }
  const { values, positionals } = parsed;
  const [command, sub, id] = positionals;
  if (values.help || command === undefined) {
    io.out(HELP);
    return values.help ? EXIT.ok : EXIT.usage;
  }
  let url = "";
  try {
    if (command === "login") {
      const token = values.token ?? io.env.LOADMGR_TOKEN;
      if (token === undefined) throw new UsageError("login needs --token (or LOADMGR_TOKEN)");
      const connection = { url: values.url ?? io.env.LOADMGR_URL ?? DEFAULT_URL, token };
      url = connection.url;
      await createLoadManagerClient({ ...connection, WebSocket }).loadTests.list.query({ limit: 1 });
      const path = writeProfile(io.env, {
        ...readProfile(io.env),
        ...connection,
        ...(values.account !== undefined ? { accountId: values.account } : {}),
        ...(values.org !== undefined ? { orgId: values.org } : {}),
        ...(values.project !== undefined ? { projectId: values.project } : {}),
      });
      io.out(`logged in to ${connection.url}; profile saved in ${path}`);
      return EXIT.ok;
    }
    const connection = resolveConnection(values, io.env, io.cwd);
    url = connection.url;
    const client = createLoadManagerClient({ ...connection, WebSocket });
    const profile = readProfile(io.env);
    const print = (value: unknown, human: () => void): void => (values.json ? io.out(JSON.stringify(value)) : human());
    const handler = COMMANDS[command];
    const code =
      handler === undefined
        ? undefined
        : await handler({ command, sub, id, positionals, values, io, client, connection, profile, print });
    if (code !== undefined) return code;
    throw new UsageError(`unknown command "${positionals.join(" ")}" (loadmgr --help)`);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`loadmgr: ${error.message}`);
      return EXIT.usage;
    }
    if (error instanceof TRPCClientError) {
      const data = apiErrorData((error as TRPCClientError<never>).data);
      if (data === undefined) {
        io.err(`loadmgr: could not reach the server at ${url} (is it running? \`npm start\`)`);
        return EXIT.unreachable;
      }
      io.err(`loadmgr: ${data.appCode}: ${error.message}${data.field !== undefined ? ` (${data.field})` : ""}`);
      return EXIT.usage;
    }
    throw error;
  }
}
