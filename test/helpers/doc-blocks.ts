/** Fenced code blocks of a Markdown page, with the tags after the language (```sh test fails). */
export interface DocBlock {
  lang: string;
  tags: string[];
  body: string;
  /** 1-based line of the opening fence. */
  line: number;
}

export function parseDocBlocks(markdown: string): DocBlock[] {
  const lines = markdown.split('\n');
  const blocks: DocBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*(.*)$/.exec(lines[i]);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]); i++) body.push(lines[i]);
    if (i >= lines.length) throw new Error(`line ${start + 1}: code block never closed`);
    blocks.push({ lang: open[1], tags: open[2].split(/\s+/).filter(Boolean), body: body.join('\n'), line: start + 1 });
  }
  return blocks;
}

/** A `sh test` block, whether it must fail, and the `json output` / `text output` block right after it. */
export interface DocStep {
  block: DocBlock;
  fails: boolean;
  output?: DocBlock;
}

export function runnable(blocks: DocBlock[]): DocStep[] {
  const steps: DocStep[] = [];
  blocks.forEach((b, i) => {
    if (b.lang !== 'sh' || b.tags[0] !== 'test') return;
    const next = blocks[i + 1];
    const output = next && next.tags[0] === 'output' && (next.lang === 'json' || next.lang === 'text') ? next : undefined;
    steps.push({ block: b, fails: b.tags[1] === 'fails', output });
  });
  return steps;
}
