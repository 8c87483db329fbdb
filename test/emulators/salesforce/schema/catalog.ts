import { keyPrefixOf } from './ids.js';
import { loadPackageMetadata, type PackageMetadata } from './package-metadata.js';
import { standardObjects } from './standard-objects.js';
import type { ChildRelationship, FieldDef, ObjectDef } from './types.js';

// Child relationship names of standard lookups, as the parent's describe lists them.
const STANDARD_CHILD_RELATIONSHIPS: Record<string, string> = {
  'Contact.AccountId': 'Contacts',
  'Opportunity.AccountId': 'Opportunities',
  'Account.ParentId': 'ChildAccounts',
  'OpportunityContactRole.OpportunityId': 'OpportunityContactRoles',
  'OpportunityContactRole.ContactId': 'OpportunityContactRoles',
  'CampaignMember.CampaignId': 'CampaignMembers',
  'CampaignMember.LeadId': 'CampaignMembers',
  'CampaignMember.ContactId': 'CampaignMembers',
  'Campaign.ParentId': 'ChildCampaigns',
  'Opportunity.CampaignId': 'Opportunities',
  'Task.WhoId': 'Tasks',
  'Task.WhatId': 'Tasks',
  'PermissionSetAssignment.AssigneeId': 'PermissionSetAssignments',
  'PermissionSetAssignment.PermissionSetId': 'Assignments',
};

interface ObjectIndex {
  fields: Map<string, FieldDef>;
  /** Parent relationships by lower-case name (`account`, `owner`, `lead__r`). */
  parents: Map<string, FieldDef>;
  /** Child relationships by lower-case name (`contacts`, `responsys_engagements__r`). */
  children: Map<string, ChildRelationship>;
}

/** All objects the emulated org knows, with case-insensitive lookups as the API does. */
export class SchemaCatalog {
  readonly objects: ObjectDef[];
  readonly packageMetadata: PackageMetadata;
  private readonly byName = new Map<string, ObjectDef>();
  private readonly byPrefix = new Map<string, ObjectDef>();
  private readonly index = new Map<ObjectDef, ObjectIndex>();

  constructor(packageMetadata: PackageMetadata) {
    this.packageMetadata = packageMetadata;
    const activityTargets = packageMetadata.objects
      .filter((o) => o.kind === 'custom' && o.fields.some((f) => f.name === 'LastActivityDate'))
      .map((o) => o.name);
    const standard = standardObjects(activityTargets).map((object) => {
      const extra = packageMetadata.standardObjectFields.get(object.name) ?? [];
      return extra.length ? { ...object, fields: [...object.fields, ...extra] } : object;
    });
    for (const name of packageMetadata.standardObjectFields.keys()) {
      if (!standard.some((o) => o.name === name)) {
        packageMetadata.problems.push(
          `${name}: the package adds fields to a standard object the emulator lacks`,
        );
      }
    }
    this.objects = [...standard, ...packageMetadata.objects].map((object) => ({
      ...object,
      childRelationships: [],
      fields: object.fields.map((f) => {
        const child = STANDARD_CHILD_RELATIONSHIPS[`${object.name}.${f.name}`];
        return child && !f.custom ? { ...f, childRelationshipName: child } : f;
      }),
    }));
    for (const object of this.objects) {
      this.byName.set(object.name.toLowerCase(), object);
      this.byPrefix.set(object.keyPrefix, object);
      const fields = new Map<string, FieldDef>();
      const parents = new Map<string, FieldDef>();
      for (const f of object.fields) {
        fields.set(f.name.toLowerCase(), f);
        if (f.type === 'reference' && f.relationshipName) parents.set(f.relationshipName.toLowerCase(), f);
      }
      this.index.set(object, { fields, parents, children: new Map() });
    }
    for (const child of this.objects) {
      for (const f of child.fields) {
        if (f.type !== 'reference') continue;
        for (const parentName of f.referenceTo) {
          const parent = this.byName.get(parentName.toLowerCase());
          if (!parent) continue;
          const relationship: ChildRelationship = {
            childSObject: child.name,
            field: f.name,
            relationshipName: f.childRelationshipName,
            cascadeDelete: f.deleteConstraint === 'Cascade',
            restrictedDelete: f.deleteConstraint === 'Restrict',
          };
          parent.childRelationships.push(relationship);
          if (f.childRelationshipName) {
            this.index.get(parent)?.children.set(f.childRelationshipName.toLowerCase(), relationship);
          }
        }
      }
    }
  }

  static fromForceApp(forceAppDir: string): SchemaCatalog {
    return new SchemaCatalog(loadPackageMetadata(forceAppDir));
  }

  object(name: string): ObjectDef | undefined {
    return this.byName.get(name.toLowerCase());
  }

  objectForId(id: string): ObjectDef | undefined {
    return this.byPrefix.get(keyPrefixOf(id));
  }

  field(object: ObjectDef, name: string): FieldDef | undefined {
    return this.index.get(object)?.fields.get(name.toLowerCase());
  }

  /** The reference field behind a parent relationship name (`Account` on Contact). */
  parentRelationship(object: ObjectDef, relationshipName: string): FieldDef | undefined {
    return this.index.get(object)?.parents.get(relationshipName.toLowerCase());
  }

  childRelationship(object: ObjectDef, relationshipName: string): ChildRelationship | undefined {
    return this.index.get(object)?.children.get(relationshipName.toLowerCase());
  }
}
