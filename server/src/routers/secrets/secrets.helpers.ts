import { type Secret } from "@loadmgr/shared";
import type { SecretRecord } from "../../store/store.js";

/** What every reader sees of a secret: never its value, nor its ciphertext. */
export const view = ({ ciphertext: _hidden, ...secret }: SecretRecord): Secret => secret;
