// Small DOM helpers for the webviews: elements are built with textContent,
// never innerHTML, so names from the project cannot inject markup.

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: Array<Node | string>
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  for (const child of children) node.append(child);
  return node;
}

export function button(label: string, onClick: () => void, enabled = true, title = ''): HTMLButtonElement {
  const node = el('button', title ? { title } : {}, label);
  node.disabled = !enabled;
  node.addEventListener('click', onClick);
  return node;
}

export const BASE_STYLE = `
body { font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); color: var(--vscode-foreground); padding: 8px; }
button { background: var(--vscode-button-background); color: var(--vscode-button-foreground); border: none; padding: 4px 10px; margin-right: 6px; cursor: pointer; }
button:disabled { opacity: 0.5; cursor: default; }
.toolbar { margin-bottom: 8px; }
.notice { color: var(--vscode-descriptionForeground); margin: 6px 0; }
`;

export function addStyle(css: string): void {
  const style = document.createElement('style');
  style.textContent = BASE_STYLE + css;
  document.head.append(style);
}

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

export const vscode: VsCodeApi = acquireVsCodeApi();
