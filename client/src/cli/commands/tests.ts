import { fileChanges, LOCUSTFILE_PATH, unifiedDiff } from "@loadmgr/shared";
import { UsageError } from "../connection.js";
import { parseParams, parseStage } from "../project.js";
import {
  EXIT,
  number,
  table,
  scopeOf,
  projectOf,
  thresholdsOf,
  type CommandContext,
  type CommandResult,
} from "../options.js";

/** `loadmgr tests …`: create, list, show, delete, edit a script, list and diff revisions. */
export async function tests(cx: CommandContext): CommandResult {
  const { sub, id, positionals, values, io, client, profile, print } = cx;
  if (sub === "create") {
    const project = projectOf(values);
    const { accountId, orgId, projectId } = scopeOf(values, profile, "tests create");
    if (values.name === undefined || values.target === undefined)
      throw new UsageError("tests create needs --name and --target");
    const params = parseParams(values.param);
    const test = await client.loadTests.create.mutate({
      name: values.name,
      accountId,
      orgId,
      projectId,
      targetUrl: values.target,
      ...project,
      tags: values.tag ?? [],
      ...(values.secret !== undefined ? { secrets: values.secret } : {}),
      ...(params !== undefined ? { env: params } : {}),
      ...(values.stage !== undefined ? { defaultStages: values.stage.map(parseStage) } : {}),
      thresholds: thresholdsOf(values) ?? [],
      ...(values["fail-on-regression"] ? { failOnRegression: true } : {}),
      ...(values.env !== undefined ? { envId: values.env } : {}),
      ...(values["allow-host"] !== undefined ? { allowedHosts: values["allow-host"] } : {}),
      ...(values.pool !== undefined ? { agentPool: values.pool } : {}),
      ...(values.workers !== undefined ? { defaultWorkers: number(values, "workers") } : {}),
      ...(values.description !== undefined ? { description: values.description } : {}),
      ...(values.users !== undefined ? { defaultUsers: number(values, "users") } : {}),
      ...(values["spawn-rate"] !== undefined ? { defaultSpawnRate: number(values, "spawn-rate") } : {}),
      ...(values.duration !== undefined ? { defaultDurationSec: number(values, "duration") } : {}),
      ...(values["max-duration"] !== undefined ? { maxDurationSec: number(values, "max-duration") } : {}),
    });
    print(test, () => io.out(test.id));
    return EXIT.ok;
  }
  if (sub === "list") {
    const page = await client.loadTests.list.query({});
    print(page, () =>
      table(
        page.items.map((t) => ({
          id: t.id,
          name: t.name,
          project: `${t.accountId}/${t.orgId}/${t.projectId}`,
          target: t.targetUrl,
        })),
        io,
      ),
    );
    return EXIT.ok;
  }
  if (sub === "show" && id !== undefined) {
    const test = await client.loadTests.get.query({ id });
    print(test, () => io.out(JSON.stringify(test, null, 2)));
    return EXIT.ok;
  }
  if (sub === "delete" && id !== undefined) {
    const deleted = await client.loadTests.delete.mutate({ id });
    print(deleted, () => io.out(`deleted ${id}`));
    return EXIT.ok;
  }
  if (sub === "edit-script" && id !== undefined) {
    const project = projectOf(values);
    // Only -f: the new locustfile, the revision's other files kept. With --dir or --file: exactly those files.
    const sendsFiles = values.dir !== undefined || (values.file?.length ?? 0) > 1;
    const revision = await client.scripts.update.mutate({
      id,
      scriptContent: project.scriptContent,
      ...(sendsFiles ? { files: project.files } : {}),
      ...(values.message !== undefined ? { description: values.message } : {}),
    });
    print(revision, () => io.out(`revision ${revision.revisionNumber} (${revision.id})`));
    return EXIT.ok;
  }
  if (sub === "revisions" && id !== undefined) {
    const page = await client.scripts.revisions.query({ id, limit: 200 });
    print(page, () =>
      table(
        page.items.map((r) => ({
          revision: r.revisionNumber,
          id: r.id,
          created: new Date(r.createdAt).toISOString(),
          by: r.createdBy,
          description: r.description,
        })),
        io,
      ),
    );
    return EXIT.ok;
  }
  if (sub === "diff" && id !== undefined) {
    const [, , , revA, revB] = positionals;
    if (revA === undefined || revB === undefined) throw new UsageError("tests diff needs <id> <revA> <revB>");
    const { items } = await client.scripts.revisions.query({ id, limit: 200 });
    const find = (ref: string) => {
      const found = items.find((r) => r.id === ref || String(r.revisionNumber) === ref);
      if (found === undefined)
        throw new UsageError(`test ${id} has no revision ${ref} (see \`loadmgr tests revisions ${id}\`)`);
      return found;
    };
    const [a, b] = [find(revA), find(revB)];
    const text = (content: string) => Buffer.from(content, "base64").toString("utf8");
    const labels = (path: string): [string, string] => [
      `revision ${a.revisionNumber}/${path}`,
      `revision ${b.revisionNumber}/${path}`,
    ];
    let diff = unifiedDiff(text(a.scriptContent), text(b.scriptContent), labels(LOCUSTFILE_PATH));
    // Every other file too: added, removed or changed, with its lines where it is text.
    const files = fileChanges(a.files, b.files).filter((f) => f.change !== "unchanged");
    const content = async (revisionId: string, path: string, has: boolean): Promise<string> =>
      has ? (await client.scripts.file.query({ id, revisionId, path })).contentBase64 : "";
    for (const { path, change } of files) {
      const [before, after] = await Promise.all([
        content(a.id, path, change !== "added"),
        content(b.id, path, change !== "removed"),
      ]);
      const [left, right] = [Buffer.from(before, "base64"), Buffer.from(after, "base64")];
      diff +=
        left.includes(0) || right.includes(0)
          ? `Binary file ${path} ${change}\n`
          : unifiedDiff(left.toString("utf8"), right.toString("utf8"), labels(path));
    }
    print({ from: a.revisionNumber, to: b.revisionNumber, files, diff }, () => {
      for (const f of files) io.out(`${f.change.padEnd(8)} ${f.path}`);
      process.stdout.write(diff);
    });
    return EXIT.ok;
  }
  return undefined;
}
