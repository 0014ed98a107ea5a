import { render } from "preact";
import { useEffect, useLayoutEffect, useMemo, useState } from "preact/hooks";
import type { Identity, LoadManagerClient } from "../../client/src/index.js";
import { ThemeContext } from "./Chart.js";
import { leaveQuestion } from "./leaveGuard.js";
import { ScopeSwitcher } from "./ScopeSwitcher.js";
import { AgentsPage } from "./pages/AgentsPage.js";
import { SecretsPage } from "./pages/SecretsPage.js";
import { WebhooksPage } from "./pages/WebhooksPage.js";
import { ApiPage } from "./pages/ApiPage.js";
import { ComparePage } from "./pages/ComparePage.js";
import { EndpointPage } from "./pages/EndpointPage.js";
import { RunPage } from "./pages/RunPage.js";
import { RunsPage } from "./pages/RunsPage.js";
import { SignIn } from "./pages/SignIn.js";
import { TestDetail } from "./pages/TestDetail.js";
import { TestForm } from "./pages/TestForm.js";
import { TestList } from "./pages/TestList.js";
import { clientFor, forgetToken, savedScope, savedToken, saveScope } from "./session.js";
import "./style.css";

type Theme = "light" | "dark";

/** The page the location's hash names: #/, #/tests/new, #/tests/<id>, #/tests/<id>/edit, #/runs?filters, #/runs/<id>, #/runs/<id>/endpoint?name=, #/compare?a=&b=, #/agents, #/secrets, #/webhooks, #/api. */
function useRoute(): { path: string[]; query: URLSearchParams } {
  const read = () => {
    const [path = "", query = ""] = location.hash.replace(/^#\/?/, "").split("?");
    return { path: path.split("/").filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(query) };
  };
  const [route, setRoute] = useState(read);
  // The address the route was read from, at the first render.
  const [readFrom] = useState(() => location.href);
  // A layout effect: it runs in the first render's commit, before the page's load event. A passive
  // effect ran later, and a hash change in between went unheard (a test's second goto once did).
  useLayoutEffect(() => {
    let shown = readFrom;
    const changed = () => {
      const question = leaveQuestion();
      if (question !== null && !window.confirm(question)) {
        // Stay: the address goes back to this page's, and nothing re-renders.
        history.replaceState(null, "", shown);
        return;
      }
      shown = location.href;
      setRoute(read());
      window.scrollTo(0, 0);
      // A keyboard user goes on from the top of the new page, not from a link that is gone.
      document.getElementById("main")?.focus({ preventScroll: true });
    };
    window.addEventListener("hashchange", changed);
    // Changed before the listener was there: follow it now.
    if (location.href !== readFrom) changed();
    return () => window.removeEventListener("hashchange", changed);
  }, [readFrom]);
  return route;
}

function App() {
  const [token, setToken] = useState(savedToken);
  const [scope, setScope] = useState(savedScope);
  const [theme, setTheme] = useState<Theme>(() => (document.documentElement.dataset.theme as Theme) ?? "light");
  const route = useRoute();
  const client = useMemo<LoadManagerClient | null>(() => (token === null ? null : clientFor(token)), [token]);
  const [identity, setIdentity] = useState<Identity | null>(null);
  useEffect(() => {
    setIdentity(null);
    client?.account.me
      .query()
      .then(setIdentity)
      .catch(() => undefined); // the pages say what is wrong with the server or the token
  }, [client]);

  // A layout effect: it runs before any page's passive effects, so a chart rebuilt for the new theme
  // reads the new theme's colours (a passive effect here ran after the charts', and they kept the old).
  useLayoutEffect(() => {
    document.documentElement.dataset.theme = theme;
    localStorage.setItem("loadmgr.theme", theme);
  }, [theme]);

  const themeButton = (
    <button
      type="button"
      class="secondary theme-toggle"
      aria-label={`Switch to ${theme === "dark" ? "light" : "dark"} theme`}
      onClick={() => setTheme(theme === "dark" ? "light" : "dark")}
    >
      <span aria-hidden="true">{theme === "dark" ? "☀" : "☾"}</span>
      <span class="button-text">{theme === "dark" ? " Light" : " Dark"}</span>
    </button>
  );

  if (client === null) {
    return (
      <ThemeContext.Provider value={theme}>
        <SignIn
          themeButton={themeButton}
          onSignedIn={(t, s) => {
            saveScope(s);
            setScope(s);
            setToken(t);
          }}
        />
      </ThemeContext.Provider>
    );
  }

  const [section, id, sub] = route.path;
  let page;
  if (section === undefined) page = <TestList client={client} scope={scope} />;
  else if (section === "tests" && id === "new") {
    const from = route.query.get("from");
    page =
      from !== null ? (
        <TestForm key={from} client={client} scope={scope} cloneOf={from} />
      ) : (
        <TestForm key="new" client={client} scope={scope} />
      );
  } else if (section === "tests" && id !== undefined && sub === "edit")
    page = <TestForm client={client} scope={scope} testId={id} />;
  else if (section === "tests" && id !== undefined) page = <TestDetail client={client} testId={id} />;
  else if (section === "runs" && id === undefined)
    page = <RunsPage client={client} scope={scope} query={route.query} />;
  else if (section === "runs" && id !== undefined && sub === "endpoint")
    page = <EndpointPage client={client} runId={id} name={route.query.get("name") ?? ""} />;
  else if (section === "runs" && id !== undefined) page = <RunPage client={client} runId={id} />;
  else if (section === "api" && id === undefined) page = <ApiPage identity={identity} scope={scope} />;
  else if (section === "agents" && id === undefined) page = <AgentsPage client={client} scope={scope} />;
  else if (section === "secrets" && id === undefined) page = <SecretsPage client={client} scope={scope} />;
  else if (section === "webhooks" && id === undefined) page = <WebhooksPage client={client} scope={scope} />;
  else if (section === "compare")
    page = <ComparePage client={client} a={route.query.get("a") ?? ""} b={route.query.get("b") ?? ""} />;
  else
    page = (
      <div class="empty">
        <strong>No such page</strong>
        <p>
          <a href="#/">Back to the load tests</a>
        </p>
      </div>
    );

  return (
    <ThemeContext.Provider value={theme}>
      {/* Not href="#main": the hash is the route. */}
      <a
        class="skip-link"
        href="#main"
        onClick={(event) => {
          event.preventDefault();
          document.getElementById("main")?.focus();
        }}
      >
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href="#/">
          Load Manager
        </a>
        <nav class="nav" aria-label="Sections">
          <a href="#/" aria-current={section === undefined || section === "tests" ? "page" : undefined}>
            Load tests
          </a>
          <a href="#/runs" aria-current={section === "runs" || section === "compare" ? "page" : undefined}>
            Runs
          </a>
          <a href="#/agents" aria-current={section === "agents" ? "page" : undefined}>
            Agents
          </a>
          <a href="#/secrets" aria-current={section === "secrets" ? "page" : undefined}>
            Secrets
          </a>
          <a href="#/webhooks" aria-current={section === "webhooks" ? "page" : undefined}>
            Webhooks
          </a>
          <a href="#/api" aria-current={section === "api" ? "page" : undefined}>
            API<span class="nav-long"> and CLI</span>
          </a>
        </nav>
        <ScopeSwitcher
          client={client}
          scope={scope}
          identity={identity}
          onChange={(s) => {
            saveScope(s);
            setScope(s);
          }}
        />
        <div class="top-actions">
          {themeButton}
          <button
            type="button"
            class="secondary"
            onClick={() => {
              forgetToken();
              setToken(null);
            }}
          >
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {page}
      </main>
    </ThemeContext.Provider>
  );
}

const root = document.getElementById("app");
if (root !== null) render(<App />, root);
