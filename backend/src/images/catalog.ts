/** The agent catalog: built-in agents plus custom agents from the user's agents.yaml. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { BUILTIN_AGENTS, type AgentDefinition } from '../core/agents.js';
import { ErrorCode, PaddockError } from '../core/errors.js';
import { AGENT_NAME_RE } from '../core/protocol.js';

const CustomAgent = z
  .object({
    name: z.string().regex(AGENT_NAME_RE, 'agent names are lowercase letters, digits and dashes'),
    title: z.string().optional(),
    description: z.string().default('Custom agent'),
    image: z.string().optional(),
    dockerfile: z.string().optional(),
    command: z.array(z.string()).min(1),
    autonomyArgs: z.array(z.string()).default([]),
    env: z.record(z.string(), z.string()).default({}),
    hosts: z.array(z.string()).default([]),
  })
  .refine((a) => Boolean(a.image) !== Boolean(a.dockerfile), { message: 'give exactly one of image or dockerfile' });

const CustomAgentsFile = z.object({ agents: z.array(CustomAgent).default([]) });

export function customAgentsPath(configDir: string): string {
  return join(configDir, 'agents.yaml');
}

export function loadCatalog(configDir: string): AgentDefinition[] {
  const file = customAgentsPath(configDir);
  const agents: AgentDefinition[] = [...BUILTIN_AGENTS];
  if (!existsSync(file)) return agents;
  let raw: unknown;
  try {
    raw = parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new PaddockError(ErrorCode.BadInput, `${file} is not valid YAML: ${(err as Error).message.split('\n')[0]}. Fix the file or move it away.`);
  }
  const parsed = CustomAgentsFile.safeParse(raw ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PaddockError(ErrorCode.BadInput, `${file}: ${issue?.path.join('.') || '(top)'}: ${issue?.message}. Fix the file (see docs/agents.md).`);
  }
  for (const a of parsed.data.agents) {
    if (agents.some((b) => b.name === a.name)) {
      throw new PaddockError(ErrorCode.BadInput, `${file}: agent "${a.name}" clashes with a built-in agent; pick another name.`);
    }
    const dockerfile = a.dockerfile ? (isAbsolute(a.dockerfile) ? a.dockerfile : resolve(dirname(file), a.dockerfile)) : undefined;
    agents.push({
      name: a.name,
      title: a.title ?? a.name,
      description: a.description,
      command: a.command,
      autonomyArgs: a.autonomyArgs,
      env: a.env,
      hosts: a.hosts,
      imageDir: null,
      ...(a.image ? { image: a.image } : {}),
      ...(dockerfile ? { contextDir: dirname(dockerfile) } : {}),
      custom: true,
    });
  }
  return agents;
}

export function findAgent(catalog: readonly AgentDefinition[], name: string): AgentDefinition {
  const a = catalog.find((x) => x.name === name);
  if (!a) {
    throw new PaddockError(ErrorCode.NotFound, `Unknown agent "${name}". Known agents: ${catalog.map((x) => x.name).join(', ')}. Add custom ones in agents.yaml.`);
  }
  return a;
}
