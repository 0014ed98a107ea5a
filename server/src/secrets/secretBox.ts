import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import type { Config } from "../config.js";
import { keptSecret } from "../keptSecret.js";

const VERSION = "v1";

/**
 * Encrypts secret values at rest with AES-256-GCM. The key comes from `security.secretsKey`, or
 * from a file in the data directory made on first start; every server instance of a deployment
 * must share it. A value's ciphertext is bound to its scope and name (the GCM additional data), so
 * a ciphertext copied to another secret's row does not decrypt.
 */
export class SecretBox {
  private constructor(private readonly key: Buffer) {}

  static fromConfig(config: Config): SecretBox {
    return SecretBox.withKey(keptSecret(config, config.security.secretsKey, "secrets-key").value);
  }

  static withKey(material: string): SecretBox {
    return new SecretBox(createHash("sha256").update(`loadmgr-secrets:${material}`).digest());
  }

  seal(value: string, binding: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.key, iv);
    cipher.setAAD(Buffer.from(binding, "utf-8"));
    const body = Buffer.concat([cipher.update(value, "utf-8"), cipher.final()]);
    return [
      VERSION,
      iv.toString("base64url"),
      body.toString("base64url"),
      cipher.getAuthTag().toString("base64url"),
    ].join(".");
  }

  /** Throws when the ciphertext was made with another key or for another secret. */
  open(sealed: string, binding: string): string {
    const [version, iv, body, tag] = sealed.split(".");
    if (version !== VERSION || iv === undefined || body === undefined || tag === undefined) {
      throw new Error("not a sealed secret");
    }
    const decipher = createDecipheriv("aes-256-gcm", this.key, Buffer.from(iv, "base64url"));
    decipher.setAAD(Buffer.from(binding, "utf-8"));
    decipher.setAuthTag(Buffer.from(tag, "base64url"));
    return Buffer.concat([decipher.update(Buffer.from(body, "base64url")), decipher.final()]).toString("utf-8");
  }
}

/** What a secret's ciphertext is bound to: its scope and name. */
export function secretBinding(s: {
  accountId: string;
  orgId: string;
  projectId: string;
  envId: string | null;
  name: string;
}): string {
  return JSON.stringify([s.accountId, s.orgId, s.projectId, s.envId ?? "", s.name]);
}
