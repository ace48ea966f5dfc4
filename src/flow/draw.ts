/** A flow's tree as text (the CLI's `workmesh flow <id>`, the shell): one line per node. */

/** The shape drawTree needs (GET /api/flows/<id>'s answer, the typed client's FlowTree). */
export interface DrawableNode {
  readonly id: string;
  readonly status: string;
  readonly value?: unknown;
  readonly error?: string;
  readonly waitingFor?: number;
  readonly onFail?: string;
  readonly children: readonly DrawableNode[];
}

const MARK: Record<string, string> = {
  done: '✔',
  failed: '✘',
  cancelled: '⊘',
  pending: '▶',
  accepted: '…',
  expired: '?',
};

function short(value: unknown, max = 40): string {
  const text = JSON.stringify(value) ?? 'undefined';
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function label(node: DrawableNode): string {
  const parts = [`${MARK[node.status] ?? '·'} ${node.id} ${node.status}`];
  if (node.waitingFor !== undefined) parts.push(`waiting for ${node.waitingFor}`);
  if (node.onFail !== undefined && node.onFail !== 'fail') parts.push(`onFail ${node.onFail}`);
  if (node.status === 'done' && node.value !== undefined) parts.push(`= ${short(node.value)}`);
  if (node.error) parts.push(`: ${short(node.error, 60)}`);
  return parts.join(' ');
}

/** The tree drawn with box lines, root first, children in order of definition. */
export function drawTree(root: DrawableNode): string {
  const lines = [label(root)];
  const walk = (node: DrawableNode, indent: string): void => {
    node.children.forEach((child, i) => {
      const last = i === node.children.length - 1;
      lines.push(`${indent}${last ? '└─ ' : '├─ '}${label(child)}`);
      walk(child, indent + (last ? '   ' : '│  '));
    });
  };
  walk(root, '');
  return `${lines.join('\n')}\n`;
}
