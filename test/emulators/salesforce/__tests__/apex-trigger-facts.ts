import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ApexErrorListener,
  ApexParserFactory,
  AssignExpressionContext,
  ClassDeclarationContext,
  CreatedNameContext,
  DotExpressionContext,
  FieldDeclarationContext,
  IdPrimaryContext,
  LiteralContext,
  MethodCallContext,
  MethodDeclarationContext,
  type TriggerCaseContext,
  type TriggerUnitContext,
  type ApexParserRuleContext as ParserRuleContext,
} from '@apexdevtools/apex-parser';

// Reads, from the package's Apex, the facts the emulator's model of the triggers must agree with:
// which triggers exist on which objects and contexts, which handler each calls, and for each
// handler context what it can publish (the ResponsysSyncEvents change-type constants it reaches),
// which event fields the code it reaches sets, and what it stamps before save. "Reaches" follows
// calls through the package's own classes, so a change type or field added anywhere on the path
// (a handler, ResponsysPersonChanges, a ResponsysSyncEvents factory) shows up.

type Constant = string | number | Array<string | number>;

interface ApexClass {
  name: string;
  superclass: string | null;
  methods: Map<string, MethodDeclarationContext[]>;
  /** Initial values; `@NAME` and `@Class.NAME` refer to other constants until resolved. */
  constants: Map<string, Constant>;
}

export interface ReachedFacts {
  changeTypes: string[];
  /** Event fields set: `X__c = ...` in an sObject constructor or on a variable. */
  fieldsSet: string[];
  /** Fields written with `record.put(FIELD, VALUE)`, and the literal values written. */
  stampedFields: string[];
  stampedValues: string[];
  /** Constants read, as `Class.NAME` -> value. */
  constants: Record<string, Constant>;
  /** `Class.method` of every package method reached. */
  methods: string[];
}

export interface TriggerFacts {
  name: string;
  object: string;
  contexts: string[];
  handler: string | null;
  /** Per context, what the handler's hook for it reaches; a context without a hook is absent. */
  hooks: Record<string, ReachedFacts>;
}

export interface ApexTriggerFacts {
  triggers: TriggerFacts[];
  constantsOf(className: string): Map<string, Constant>;
  /** What one method reaches, e.g. a ResponsysSyncEvents factory on its own. */
  reach(className: string, methodName: string): ReachedFacts;
  methodSource(className: string, methodName: string): string;
}

const HOOK_CONTEXTS: Record<string, string> = {
  beforeInsert: 'before insert',
  beforeUpdate: 'before update',
  beforeDelete: 'before delete',
  afterInsert: 'after insert',
  afterUpdate: 'after update',
  afterDelete: 'after delete',
  afterUndelete: 'after undelete',
};

class ThrowingListener extends ApexErrorListener {
  constructor(private readonly file: string) {
    super();
  }

  apexSyntaxError(line: number, column: number, message: string): void {
    throw new Error(`${this.file}:${line}:${column + 1}: ${message}`);
  }
}

function children(node: ParserRuleContext): ParserRuleContext[] {
  return ((node.children ?? []) as unknown[]).filter(
    (c): c is ParserRuleContext => typeof c === 'object' && c !== null && 'children' in c,
  );
}

function* descendants(node: ParserRuleContext): Generator<ParserRuleContext> {
  for (const child of children(node)) {
    yield child;
    yield* descendants(child);
  }
}

function literalValue(text: string): string | number {
  if (text.startsWith("'")) return text.slice(1, -1).replace(/\\'/g, "'");
  return Number(text);
}

/** Apex source files by name (`Foo.cls`, `Bar.trigger`): read from a folder, or given (tests). */
export function readApexSources(forceAppDefaultDir: string): Map<string, string> {
  const sources = new Map<string, string>();
  for (const folder of ['classes', 'triggers']) {
    for (const file of readdirSync(join(forceAppDefaultDir, folder))) {
      if (file.endsWith('.cls') || file.endsWith('.trigger')) {
        sources.set(file, readFileSync(join(forceAppDefaultDir, folder, file), 'utf8'));
      }
    }
  }
  return sources;
}

export function readApexTriggerFacts(sources: Map<string, string>): ApexTriggerFacts {
  const classes = new Map<string, ApexClass>();
  const triggerUnits: Array<{ file: string; unit: TriggerUnitContext }> = [];

  for (const [file, text] of sources) {
    const { parser } = ApexParserFactory.createLexerAndParser(text, new ThrowingListener(file));
    if (file.endsWith('.trigger')) {
      triggerUnits.push({ file, unit: parser.triggerUnit() });
      continue;
    }
    // Tests exercise the code; they are not part of what the triggers do.
    if (/Test\.cls$/.test(file)) continue;
    const unit = parser.compilationUnit();
    const declaration = [...descendants(unit)].find((n) => n instanceof ClassDeclarationContext) as
      ClassDeclarationContext | undefined;
    if (!declaration) continue;
    const cls: ApexClass = {
      name: declaration.id().getText(),
      superclass: declaration.typeRef()?.getText() ?? null,
      methods: new Map(),
      constants: new Map(),
    };
    for (const node of descendants(declaration)) {
      if (node instanceof MethodDeclarationContext) {
        const name = node.id().getText();
        cls.methods.set(name, [...(cls.methods.get(name) ?? []), node]);
      } else if (node instanceof FieldDeclarationContext) {
        for (const declarator of node.variableDeclarators().variableDeclarator_list()) {
          const initializer = declarator.expression();
          if (!initializer) continue;
          const parts: Array<string | number> = [];
          // `= Other.NAME` refers to another class's constant.
          if (initializer instanceof DotExpressionContext && !initializer.dotMethodCall()) {
            cls.constants.set(declarator.id().getText(), `@${initializer.getText()}`);
            continue;
          }
          for (const leaf of [initializer, ...descendants(initializer)]) {
            if (leaf instanceof LiteralContext) parts.push(literalValue(leaf.getText()));
            else if (leaf instanceof IdPrimaryContext) parts.push(`@${leaf.getText()}`);
          }
          const isList = /^new(List|Set)</.test(initializer.getText());
          if (parts.length === 0) continue;
          cls.constants.set(declarator.id().getText(), isList ? parts : parts[0]!);
        }
      }
    }
    classes.set(cls.name, cls);
  }

  const resolve = (cls: ApexClass, value: Constant): Constant => {
    const one = (part: string | number): string | number => {
      if (typeof part !== 'string' || !part.startsWith('@')) return part;
      const [owner, name] = part.slice(1).includes('.')
        ? part.slice(1).split('.')
        : [cls.name, part.slice(1)];
      const target = classes.get(owner!);
      const referenced = target?.constants.get(name!);
      if (!target || referenced === undefined || Array.isArray(referenced)) return part;
      return one(referenced) === part ? part : (resolve(target, referenced) as string | number);
    };
    return Array.isArray(value) ? value.map(one) : one(value);
  };
  const constant = (cls: ApexClass, name: string): Constant | undefined => {
    const value = cls.constants.get(name);
    return value === undefined ? undefined : resolve(cls, value);
  };

  const methodsNamed = (name: string) =>
    [...classes.values()].filter((c) => c.methods.has(name) && c.name !== 'ResponsysTriggerHandler');

  const reachFrom = (start: Array<[ApexClass, MethodDeclarationContext]>): ReachedFacts => {
    const changeTypes = new Set<string>();
    const fieldsSet = new Set<string>();
    const stampedFields = new Set<string>();
    const stampedValues = new Set<string>();
    const visited = new Set<MethodDeclarationContext>();
    const reachedNames = new Set<string>();
    const constantsRead: Record<string, Constant> = {};
    const syncEvents = classes.get('ResponsysSyncEvents');

    const constantRef = (owner: ApexClass | undefined, name: string) => {
      if (!owner) return;
      const value = constant(owner, name);
      if (value !== undefined) constantsRead[`${owner.name}.${name}`] = value;
      if (owner === syncEvents && name.startsWith('CHANGE_') && typeof value === 'string')
        changeTypes.add(value);
    };
    const valueOf = (cls: ApexClass, expressionText: string): Constant | undefined => {
      if (/^'.*'$/.test(expressionText)) return literalValue(expressionText);
      const [owner, name] = expressionText.includes('.')
        ? expressionText.split('.')
        : [cls.name, expressionText];
      const target = classes.get(owner!);
      return target ? constant(target, name!) : undefined;
    };

    const queue = [...start];
    while (queue.length) {
      const [cls, method] = queue.shift()!;
      if (visited.has(method)) continue;
      visited.add(method);
      reachedNames.add(`${cls.name}.${method.id().getText()}`);
      const follow = (owner: ApexClass, name: string) => {
        for (const m of owner.methods.get(name) ?? []) queue.push([owner, m]);
      };
      for (const node of descendants(method)) {
        if (node instanceof MethodCallContext) {
          const name = node.id()?.getText();
          if (!name) continue;
          if (cls.methods.has(name)) follow(cls, name);
          else if (cls.superclass && classes.get(cls.superclass)?.methods.has(name)) {
            follow(classes.get(cls.superclass)!, name);
          }
        } else if (node instanceof DotExpressionContext) {
          const receiver = node.expression().getText();
          const call = node.dotMethodCall();
          if (call) {
            const name = call.anyId().getText();
            const args = call.expressionList()?.expression_list() ?? [];
            if (name === 'put' && args.length === 2) {
              const field = valueOf(cls, args[0]!.getText());
              const value = valueOf(cls, args[1]!.getText());
              if (typeof field === 'string') stampedFields.add(field);
              if (typeof value === 'string') stampedValues.add(value);
            }
            const owner = classes.get(receiver);
            if (owner) follow(owner, name);
            // An instance call (`changes.updated(...)`): every package class with such a method.
            else for (const candidate of methodsNamed(name)) follow(candidate, name);
          } else if (node.anyId()) {
            constantRef(classes.get(receiver), node.anyId().getText());
          }
        } else if (node instanceof IdPrimaryContext) {
          const name = node.getText();
          if (cls.constants.has(name)) constantRef(cls, name);
        } else if (node instanceof AssignExpressionContext) {
          const target = node.expression(0).getText();
          const field = target.slice(target.lastIndexOf('.') + 1);
          if (/__c$/i.test(field)) fieldsSet.add(field);
        }
      }
    }
    const sorted = (set: Set<string>) => [...set].sort();
    return {
      changeTypes: sorted(changeTypes),
      fieldsSet: sorted(fieldsSet),
      stampedFields: sorted(stampedFields),
      stampedValues: sorted(stampedValues),
      constants: constantsRead,
      methods: sorted(reachedNames),
    };
  };

  const triggers: TriggerFacts[] = triggerUnits.map(({ unit }) => {
    const [name, object] = unit.id_list().map((id) => id.getText());
    const contexts = unit
      .triggerCase_list()
      .map((c: TriggerCaseContext) =>
        ((c.children ?? []) as Array<{ getText(): string }>).map((t) => t.getText().toLowerCase()).join(' '),
      );
    const created = [...descendants(unit.triggerBlock())].find((n) => n instanceof CreatedNameContext);
    const handler = created?.getText() ?? null;
    const hooks: Record<string, ReachedFacts> = {};
    const handlerClass = handler ? classes.get(handler) : undefined;
    if (handlerClass) {
      for (const [hook, context] of Object.entries(HOOK_CONTEXTS)) {
        const methods = handlerClass.methods.get(hook);
        if (methods) hooks[context] = reachFrom(methods.map((m) => [handlerClass, m]));
      }
    }
    return { name: name!, object: object!, contexts, handler, hooks };
  });

  const classOrThrow = (name: string) => {
    const cls = classes.get(name);
    if (!cls) throw new Error(`the package has no Apex class ${name}`);
    return cls;
  };

  return {
    triggers,
    constantsOf: (className) => {
      const cls = classOrThrow(className);
      return new Map([...cls.constants.keys()].map((k) => [k, constant(cls, k)!]));
    },
    reach: (className, methodName) => {
      const cls = classOrThrow(className);
      return reachFrom((cls.methods.get(methodName) ?? []).map((m) => [cls, m]));
    },
    methodSource: (className, methodName) =>
      (classOrThrow(className).methods.get(methodName) ?? []).map((m) => m.getText()).join('\n'),
  };
}
