import { useEffect, useState } from "preact/hooks";
import { problemOf, type Problem, type Scope } from "./session.js";

type Project = { accountId: string; orgId: string; projectId: string };

/**
 * What a page of one project's things (secrets, webhooks) holds: the project the scope switcher
 * chose (none until it names account, org and project), its env if any, the items `load` answers
 * for it, and a reload that fetches them again.
 */
export function useProjectList<T>(scope: Scope, load: (project: Project) => Promise<{ items: T[] }>) {
  const [items, setItems] = useState<T[] | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [reloads, setReloads] = useState(0);
  const project = { accountId: scope.accountId, orgId: scope.orgId, projectId: scope.projectId };
  const chosen = project.accountId !== "" && project.orgId !== "" && project.projectId !== "";
  const envId = scope.envId !== "" ? scope.envId : undefined;
  useEffect(() => {
    if (!chosen) return;
    let live = true;
    load(project)
      .then((answer) => live && (setItems(answer.items), setProblem(null)))
      .catch((error: unknown) => live && setProblem(problemOf(error)));
    return () => {
      live = false;
    };
  }, [project.accountId, project.orgId, project.projectId, reloads]);
  return { project, chosen, envId, items, problem, setProblem, reload: () => setReloads((n) => n + 1) };
}

/** What a project's page says before a project is chosen. */
export function ChooseProject({ title, what, page }: { title: string; what: string; page: string }) {
  return (
    <section class={page}>
      <h1>{title}</h1>
      <p class="muted">Choose a project in the scope switcher: {what} belong to a project (or one of its envs).</p>
    </section>
  );
}
