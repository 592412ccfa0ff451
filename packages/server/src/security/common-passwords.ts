let loading: Promise<ReadonlySet<string>> | undefined;

/**
 * The most common passwords (about 49,000, ranked by frequency in leaked password lists), from the zxcvbn-ts project's
 * `@zxcvbn-ts/language-common` dictionary (MIT). Loaded on first use (≈ 30 ms), lower-cased, then kept.
 */
function commonPasswords(): Promise<ReadonlySet<string>> {
  loading ??= import('@zxcvbn-ts/language-common').then(
    ({ dictionary }) => new Set((dictionary['passwords-common'] as string[]).map((password) => password.toLowerCase())),
  );
  return loading;
}

/** Is `password` one of the most common passwords (compared case-insensitively, surrounding spaces ignored)? */
export async function isCommonPassword(password: string): Promise<boolean> {
  return (await commonPasswords()).has(password.trim().toLowerCase());
}
