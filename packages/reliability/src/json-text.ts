/**
 * JSON written as text from a tree, so that a fuzz case can hold what a JavaScript object
 * literal cannot: own `__proto__` keys, repeated keys, number literals beyond a double
 * (`1e400`, 40-digit integers) and nesting thousands of levels deep.
 */
export type JsonNode =
  | { object: [string, JsonNode][] }
  | { array: JsonNode[] }
  | { number: string }
  | string
  | boolean
  | null;

/** Writes a tree as JSON text (iteratively: deep nesting must not overflow the fuzzer's own stack). */
export function jsonText(root: JsonNode): string {
  const out: string[] = [];
  const stack: (JsonNode | { raw: string })[] = [root];
  while (stack.length > 0) {
    const node = stack.pop() as JsonNode | { raw: string };
    if (node === null || typeof node === 'boolean') out.push(String(node));
    else if (typeof node === 'string') out.push(JSON.stringify(node));
    else if ('raw' in node) out.push(node.raw);
    else if ('number' in node) out.push(node.number);
    else if ('array' in node) {
      const parts: (JsonNode | { raw: string })[] = [{ raw: '[' }];
      node.array.forEach((item, i) => {
        parts.push(...(i ? [{ raw: ',' }] : []), item);
      });
      parts.push({ raw: ']' });
      for (let i = parts.length - 1; i >= 0; i--) stack.push(parts[i] as JsonNode | { raw: string });
    } else {
      const parts: (JsonNode | { raw: string })[] = [{ raw: '{' }];
      node.object.forEach(([key, value], i) => {
        parts.push({ raw: `${i ? ',' : ''}${JSON.stringify(key)}:` }, value);
      });
      parts.push({ raw: '}' });
      for (let i = parts.length - 1; i >= 0; i--) stack.push(parts[i] as JsonNode | { raw: string });
    }
  }
  return out.join('');
}

/** `depth` levels of objects under `__proto__` keys (or arrays), ending in `leaf`. */
export function deeplyNested(
  depth: number,
  kind: 'array' | 'proto-object',
  leaf: JsonNode = 1 as never,
): JsonNode {
  let node: JsonNode = leaf ?? null;
  for (let i = 0; i < depth; i++)
    node = kind === 'array' ? { array: [node] } : { object: [['__proto__', node]] };
  return node;
}
