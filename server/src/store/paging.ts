/** A page to read: `limit` items after `cursor` (an earlier page's nextCursor), or from `offset`. */
export interface PageRequest {
  limit: number;
  cursor?: string | undefined;
  offset?: number | undefined;
}

/** Narrows a listing to an account, an org of it, a project of that. */
export interface ScopeFilter {
  accountId?: string | undefined;
  orgId?: string | undefined;
  projectId?: string | undefined;
}
