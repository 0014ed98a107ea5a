import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    // client/bin holds the 4-line JS launcher of the TypeScript CLI (outside the type-checked project).
    ignores: [
      "**/node_modules/**",
      "data/**",
      "**/dist/**",
      "locust/**",
      "test/ferretdb/**",
      ".cache/**",
      ".venv/**",
      "client/bin/**",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      "@typescript-eslint/no-non-null-assertion": "error",
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-floating-promises": [
        "error",
        { allowForKnownSafeCalls: [{ from: "package", package: "node:test", name: ["it", "describe", "test"] }] },
      ],
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", ignoreRestSiblings: true },
      ],
      "no-console": "error",
    },
  },
  {
    files: ["scripts/**", "test/**", "**/*.test.ts", "**/*.contract.ts", "eslint.config.js"],
    // Test processors and stubs are async to fit an interface, with nothing to await.
    rules: { "no-console": "off", "@typescript-eslint/require-await": "off" },
  },
  { files: ["eslint.config.js", ".dependency-cruiser.js"], ...tseslint.configs.disableTypeChecked },
);
