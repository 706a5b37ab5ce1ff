/**
 * A throwaway certificate for 127.0.0.1, so that the JWKS is fetched over TLS as from Cognito
 * (aws-jwt-verify fetches over https only). Children trust it through NODE_EXTRA_CA_CERTS.
 */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

export interface LocalCertificate {
  readonly key: string;
  readonly cert: string;
  /** PEM file to give children as NODE_EXTRA_CA_CERTS. */
  readonly certFile: string;
}

export async function localCertificate(directory: string): Promise<LocalCertificate> {
  const keyFile = join(directory, "jwks-key.pem");
  const certFile = join(directory, "jwks-cert.pem");
  await promisify(execFile)("openssl", [
    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", keyFile, "-out", certFile, "-days", "1",
    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
  ]);
  return { key: await readFile(keyFile, "utf8"), cert: await readFile(certFile, "utf8"), certFile };
}
