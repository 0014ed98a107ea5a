// No zod here: the dashboard imports this file as it is.

/** What an account, org, project, env or cluster id may hold: letters, digits and . _ : @ - (at most SCOPE_ID_MAX). */
export const SCOPE_ID_PATTERN = /^[A-Za-z0-9._:@-]+$/;
export const SCOPE_ID_MAX = 128;
export const SCOPE_ID_RULE = "use letters, digits and . _ : @ - only";
