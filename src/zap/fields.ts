import type { PlainInputField, ZObject } from 'zapier-platform-core';
import { inputError, shorten } from '../http/errors';
import { emailProblem, normalizeEmail } from '../api/emails';
import { isUuid, refuseHidden, toBool, toIds, toText } from './input';

/**
 * Input fields declared once: what Zapier shows (the field) and how the perform reads it (the
 * reader), so no perform writes its own length, choice or id checks. `readInputs` reads a
 * step's whole input from the same declarations before any request is sent.
 */
export interface FieldSpec<T> {
  readonly field: PlainInputField;
  read(z: ZObject, value: unknown): T;
}

interface Common {
  key: string;
  label: string;
  helpText?: string;
}

const quoted = (values: readonly string[]): string => {
  const all = values.map((value) => `"${value}"`);
  return all.length <= 1 ? (all[0] ?? '') : `${all.slice(0, -1).join(', ')} or ${all.at(-1)}`;
};

export interface TextDef extends Common {
  required?: boolean;
  /** A long text box rather than one line. */
  long?: boolean;
  min?: number;
  max?: number;
  /** Shown in the "is required" message, e.g. `Premium Members`. */
  example?: string;
  default?: string;
}

/** Text, trimmed; empty is undefined (or an error when required). Lengths in characters. */
export function text(def: TextDef & { required: true }): FieldSpec<string>;
export function text(def: TextDef): FieldSpec<string | undefined>;
export function text(def: TextDef): FieldSpec<string | undefined> {
  const { long, min, max, example, ...field } = def;
  const label = def.label;
  return {
    field: { type: long ? 'text' : 'string', required: false, ...field },
    read(z, value) {
      const found = toText(z, value, label);
      if (found === undefined) {
        if (!def.required) return undefined;
        const range = max !== undefined ? ` ${min ?? 1} to ${max} characters` : ' a value';
        throw inputError(
          z,
          `${label} is required: enter${range}${example ? `, such as "${example}"` : ''}.`,
        );
      }
      refuseHidden(z, found, label, long);
      const length = [...found].length;
      if (max !== undefined && length > max) {
        throw inputError(
          z,
          `${label} must be at most ${max} characters; it has ${length}. Shorten it and try again.`,
        );
      }
      if (min !== undefined && length < min) {
        throw inputError(z, `${label} must be at least ${min} characters; it has ${length}.`);
      }
      return found;
    },
  };
}

export interface Choice<V extends string> {
  value: V;
  label: string;
}

export interface ChoiceDef<V extends string> extends Common {
  choices: readonly Choice<V>[];
  default?: NoInfer<V>;
}

/** A choice field, and the label the editor shows for each of its values (for messages). */
export interface ChoiceSpec<T, V extends string> extends FieldSpec<T> {
  labelOf(value: V): string;
}

/**
 * One of the field's own choices, by value or by the label the editor shows (any case); empty
 * gives the default (or undefined without one). A message names the choices by their labels.
 */
export function choice<const V extends string>(
  def: ChoiceDef<V> & { default: V },
): ChoiceSpec<V, V>;
export function choice<const V extends string>(def: ChoiceDef<V>): ChoiceSpec<V | undefined, V>;
export function choice<const V extends string>(def: ChoiceDef<V>): ChoiceSpec<V | undefined, V> {
  const labelOf = (value: V): string => def.choices.find((c) => c.value === value)?.label ?? value;
  const byText = (found: string): V | undefined => {
    const wanted = found.toLowerCase();
    return (
      def.choices.find((c) => c.value === found) ??
      def.choices.find((c) => c.label.toLowerCase() === wanted)
    )?.value;
  };
  return {
    labelOf,
    field: {
      key: def.key,
      label: def.label,
      helpText: def.helpText,
      type: 'string',
      required: false,
      ...(def.default !== undefined ? { default: def.default } : {}),
      choices: def.choices.map((c) => ({ value: c.value, sample: c.value, label: c.label })),
    },
    read(z, value) {
      const found = toText(z, value, def.label);
      if (found === undefined) return def.default;
      const chosen = byText(found);
      if (chosen === undefined) {
        throw inputError(
          z,
          `${def.label} must be one of its choices: ${quoted(def.choices.map((c) => c.label))}; ` +
            `it was "${shorten(found)}". Pick one from the dropdown.`,
        );
      }
      return chosen;
    },
  };
}

/** What a delete does when its object is already gone. */
export const IF_NOT_FOUND = { error: 'error', succeed: 'succeed' } as const;

/** "If Not Found" for deletes: stop with an error (default), or succeed with `deleted: false`. */
export const ifNotFound = (what: string) =>
  choice({
    key: 'if_not_found',
    label: 'If Not Found',
    default: IF_NOT_FOUND.error,
    choices: [
      { value: IF_NOT_FOUND.error, label: 'Stop with an error' },
      { value: IF_NOT_FOUND.succeed, label: 'Succeed with Deleted: false' },
    ],
    helpText:
      `What to do when there is no such ${what}, for example because an earlier run deleted ` +
      'it. Example: **Succeed with Deleted: false**.',
  });

/** Yes/no; empty is the default (or undefined). */
export function bool(def: Common & { default: boolean }): FieldSpec<boolean>;
export function bool(def: Common): FieldSpec<boolean | undefined>;
export function bool(def: Common & { default?: boolean }): FieldSpec<boolean | undefined> {
  return {
    field: {
      key: def.key,
      label: def.label,
      helpText: def.helpText,
      type: 'boolean',
      required: false,
      ...(def.default !== undefined ? { default: String(def.default) } : {}),
    },
    read: (z, value) => toBool(z, value, def.label) ?? def.default,
  };
}

/** The custom access groups dropdown; "Load more" follows Sotion's cursor. */
export const ACCESS_GROUP_DROPDOWN = 'custom_access_group_choices.id.name';

const GROUP_HELP = 'Scope groups are read-only, so only custom groups are listed.';

/** Several custom access groups (UUIDs), without repeats. */
export const accessGroups = (def: Common & { required?: boolean }): FieldSpec<string[]> => ({
  field: {
    key: def.key,
    label: def.label,
    helpText: `${def.helpText} ${GROUP_HELP}`,
    type: 'string',
    list: true,
    required: def.required ?? false,
    dynamic: ACCESS_GROUP_DROPDOWN,
  },
  read(z, value) {
    const ids = toIds(z, value, def.label);
    if (def.required && ids.length === 0) {
      throw inputError(z, `${def.label} is required: pick at least one access group.`);
    }
    return ids;
  },
});

/** One custom access group (a UUID), required. */
export const accessGroup = (def: Common): FieldSpec<string> => ({
  field: {
    key: def.key,
    label: def.label,
    helpText: `${def.helpText} ${GROUP_HELP}`,
    type: 'string',
    required: true,
    dynamic: ACCESS_GROUP_DROPDOWN,
  },
  read(z, value) {
    const label = def.label;
    // One value that is not an id (a group's name, say) is quoted whole, not split into words.
    const text = typeof value === 'string' ? value.trim() : undefined;
    if (text && !isUuid(text) && !/[,;\n]/.test(text)) {
      throw inputError(
        z,
        `${label} must be a Sotion access group ID (a UUID such as ` +
          `3f0c1a52-7d9e-4b8a-9c41-2a6e5d7b8f10); "${shorten(text)}" is not. Pick the group ` +
          'from the dropdown or map its ID from an earlier step.',
      );
    }
    const ids = toIds(z, value, label);
    if (ids.length !== 1) {
      throw inputError(
        z,
        ids.length === 0
          ? `${label} is required: pick an access group from the dropdown or map its ID.`
          : `${label} takes one access group; it got ${ids.length}.`,
      );
    }
    return ids[0] as string;
  },
});

/**
 * One access group (a UUID), optional: the custom groups dropdown, and any group's ID mapped in
 * (a scope group's too, for steps that only read).
 */
export const optionalAccessGroup = (def: Common): FieldSpec<string | undefined> => {
  const spec = accessGroup(def);
  return {
    field: { ...spec.field, required: false },
    read: (z, value) =>
      toText(z, value, def.label) === undefined ? undefined : spec.read(z, value),
  };
};

/** A member, named by Sotion ID or by email. */
export type MemberRef = { id: string } | { email: string };

/** The member dropdown (hidden trigger `member_choices`) and its search connector. */
export const MEMBER_DROPDOWN = 'member_choices.id.email';
export const MEMBER_SEARCH = 'find_member.id';

export type MemberDef = Common;

/**
 * A member by ID or email: a UUID is used as it is, an email is normalised (it costs one
 * look-up later), anything else is refused naming the field.
 */
export const member = (def: MemberDef): FieldSpec<MemberRef> => ({
  field: {
    key: def.key,
    label: def.label,
    helpText: def.helpText,
    type: 'string',
    required: true,
    dynamic: MEMBER_DROPDOWN,
    search: MEMBER_SEARCH,
  },
  read(z, value) {
    const label = def.label;
    const found = toText(z, value, label);
    if (found === undefined) {
      throw inputError(
        z,
        `${label} is required: enter the member's email (such as ada@example.com) or Sotion member ID.`,
      );
    }
    if (isUuid(found)) return { id: found.toLowerCase() };
    const email = normalizeEmail(found);
    const problem = emailProblem(email);
    if (problem) {
      throw inputError(
        z,
        `${label} must be a member's email or Sotion member ID; "${shorten(found)}" is ` +
          `neither (${problem}).`,
      );
    }
    return { email };
  },
});

/** An optional one-line text that `check` turns into the value (or refuses, naming the field). */
const optionalChecked = (
  def: Common,
  check: (z: ZObject, found: string) => string,
): FieldSpec<string | undefined> => ({
  field: {
    key: def.key,
    label: def.label,
    helpText: def.helpText,
    type: 'string',
    required: false,
  },
  read(z, value) {
    const found = toText(z, value, def.label);
    return found === undefined ? undefined : check(z, found);
  },
});

export interface EmailDef extends Common {
  required?: boolean;
}

/** An email, normalised (trimmed, lowercased); an invalid address names the field. */
export function emailField(def: EmailDef & { required: true }): FieldSpec<string>;
export function emailField(def: EmailDef): FieldSpec<string | undefined>;
export function emailField(def: EmailDef): FieldSpec<string | undefined> {
  const spec = optionalChecked(def, (z, found) => {
    const email = normalizeEmail(found);
    const problem = emailProblem(email);
    if (!problem) return email;
    throw inputError(
      z,
      `${def.label} must be an email such as ada@example.com; "${shorten(found)}" is not ` +
        `(${problem}).`,
    );
  });
  return {
    field: { ...spec.field, required: !!def.required },
    read(z, value) {
      const email = spec.read(z, value);
      if (email === undefined && def.required) {
        throw inputError(z, `${def.label} is required: enter an email such as ada@example.com.`);
      }
      return email;
    },
  };
}

/** An optional Sotion ID (a UUID), lowercased; anything else names the field. */
export const optionalId = (def: Common): FieldSpec<string | undefined> =>
  optionalChecked(def, (z, found) => {
    if (isUuid(found)) return found.toLowerCase();
    throw inputError(
      z,
      `${def.label} must be a Sotion ID (a UUID such as 3f0c1a52-7d9e-4b8a-9c41-2a6e5d7b8f10); ` +
        `"${shorten(found)}" is not. Map the ID from an earlier step.`,
    );
  });

type Values<F extends Record<string, FieldSpec<unknown>>> = {
  [K in keyof F]: F[K] extends FieldSpec<infer T> ? T : never;
};

/** Reads every declared field from a step's input, in declaration order. */
export const readInputs = <F extends Record<string, FieldSpec<unknown>>>(
  z: ZObject,
  inputData: Record<string, unknown>,
  fields: F,
): Values<F> => {
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(fields)) {
    out[name] = spec.read(z, inputData[spec.field.key]);
  }
  return out as Values<F>;
};

/** The Zapier fields of declarations, in order (for `defineInputFields`). */
export const fieldsOf = (...specs: FieldSpec<unknown>[]): PlainInputField[] =>
  specs.map((spec) => spec.field);
