import { useEffect } from "preact/hooks";

/** What the open page would lose if it were left now (each unsaved editor or form adds itself). */
const unsaved = new Set<string>();

/** The question asked before leaving with unsaved edits; null when nothing would be lost. */
export function leaveQuestion(): string | null {
  if (unsaved.size === 0) return null;
  return `Leave this page? Your unsaved ${[...unsaved].join(" and ")} will be lost.`;
}

/**
 * While `dirty`, leaving the page asks first: in-app navigation (the router asks leaveQuestion()) and
 * closing or reloading the tab (the browser's own beforeunload question).
 */
export function useLeaveGuard(dirty: boolean, what: string): void {
  useEffect(() => {
    if (!dirty) return;
    unsaved.add(what);
    const beforeUnload = (event: BeforeUnloadEvent) => {
      event.preventDefault();
      // Older browsers ask only when a returnValue is set.
      event.returnValue = "";
    };
    window.addEventListener("beforeunload", beforeUnload);
    return () => {
      unsaved.delete(what);
      window.removeEventListener("beforeunload", beforeUnload);
    };
  }, [dirty, what]);
}
