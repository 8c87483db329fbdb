import type { PackageMetadata } from '../schema/package-metadata.js';
import type { DataStore } from '../data/store.js';
import type { UnitOfWork } from '../data/write-pipeline.js';

// The org's people and what they may do: User records (queryable like any other), their passwords,
// and permission set assignments. Custom permissions come from the package's permission sets, so
// "does this user hold Responsys_Bridge_Integration?" is answered from the same metadata Apex uses.

export interface UserSeed {
  /** A pre-allocated id (the org's admin, who creates everything else). */
  id?: string;
  username: string;
  password: string;
  firstName: string;
  lastName: string;
  email?: string;
  alias: string;
  profile: string;
  permissionSets: string[];
}

const INTEGRATION_USERNAME = 'bridge@example.com';
const REP_USERNAME = 'rep@example.com';
const DEFAULT_PASSWORD = 'password';

export const DEFAULT_USERS: UserSeed[] = [
  {
    username: INTEGRATION_USERNAME,
    password: DEFAULT_PASSWORD,
    firstName: 'Responsys',
    lastName: 'Bridge',
    alias: 'rbridge',
    profile: 'Minimum Access - API Only Integrations',
    permissionSets: ['Responsys_Bridge_Integration'],
  },
  {
    username: REP_USERNAME,
    password: DEFAULT_PASSWORD,
    firstName: 'Riley',
    lastName: 'Rep',
    alias: 'rrep',
    profile: 'Standard User',
    permissionSets: ['Responsys_Engagement_Viewer'],
  },
];

const PROFILES = ['System Administrator', 'Standard User', 'Minimum Access - API Only Integrations'];

export interface OrgUser {
  id: string;
  username: string;
  name: string;
  email: string;
  firstName: string | null;
  lastName: string;
  isActive: boolean;
}

export class UserDirectory {
  private readonly passwords = new Map<string, string>();

  constructor(
    private readonly store: DataStore,
    private readonly metadata: PackageMetadata,
  ) {}

  /** Creates profiles, permission sets, custom permissions, users and their assignments. */
  seed(unit: UnitOfWork, org: { id: string; name: string }, users: UserSeed[]): void {
    const trusted = { trusted: true };
    unit.insert(
      'Organization',
      {
        Id: org.id,
        Name: org.name,
        OrganizationType: 'Enterprise Edition',
        InstanceName: 'EMU1',
        IsSandbox: false,
        TimeZoneSidKey: 'GMT',
        LanguageLocaleKey: 'en_US',
        DefaultLocaleSidKey: 'en_US',
      },
      trusted,
    );
    const profileIds = new Map<string, string>();
    for (const name of PROFILES) {
      profileIds.set(
        name,
        unit.insert('Profile', { Name: name, UserType: 'Standard' }, trusted).Id as string,
      );
    }
    const permissionSetIds = new Map<string, string>();
    for (const ps of this.metadata.permissionSets) {
      const id = unit.insert(
        'PermissionSet',
        {
          Name: ps.name,
          Label: ps.label,
          Description: this.fitDescription(`permission set ${ps.name}`, ps.description),
          IsOwnedByProfile: false,
        },
        trusted,
      ).Id as string;
      permissionSetIds.set(ps.name, id);
    }
    for (const cp of this.metadata.customPermissions) {
      unit.insert(
        'CustomPermission',
        {
          DeveloperName: cp.name,
          MasterLabel: cp.label,
          Description: this.fitDescription(`custom permission ${cp.name}`, cp.description),
          IsLicensed: false,
        },
        trusted,
      );
    }
    this.passwords.clear();
    for (const seed of users) {
      const profileId = profileIds.get(seed.profile) ?? profileIds.get('Standard User')!;
      const user = unit.insert(
        'User',
        {
          ...(seed.id ? { Id: seed.id } : {}),
          Username: seed.username,
          FirstName: seed.firstName,
          LastName: seed.lastName,
          Email: seed.email ?? seed.username,
          Alias: seed.alias,
          CommunityNickname: seed.alias,
          IsActive: true,
          TimeZoneSidKey: 'GMT',
          LocaleSidKey: 'en_US',
          EmailEncodingKey: 'UTF-8',
          LanguageLocaleKey: 'en_US',
          ProfileId: profileId,
        },
        trusted,
      );
      this.passwords.set(seed.username.toLowerCase(), seed.password);
      for (const name of seed.permissionSets) {
        const permissionSetId = permissionSetIds.get(name);
        if (!permissionSetId) {
          throw new Error(
            `user ${seed.username} should hold permission set ${name}, which the package (force-app) does not define`,
          );
        }
        unit.insert(
          'PermissionSetAssignment',
          { AssigneeId: user.Id as string, PermissionSetId: permissionSetId },
          trusted,
        );
      }
    }
  }

  /** Salesforce rejects a description over 255 characters at deploy time; say so and keep going. */
  private fitDescription(what: string, description: string | null): string | null {
    if (!description || description.length <= 255) return description;
    const problem = `${what}: description is ${description.length} characters; Salesforce allows 255 (the deploy would fail)`;
    if (!this.metadata.problems.includes(problem)) this.metadata.problems.push(problem);
    return description.slice(0, 255);
  }

  findByUsername(username: string): OrgUser | undefined {
    const table = this.store.table('User');
    const field = table.object.fields.find((f) => f.name === 'Username')!;
    const id = table.lookup(field, username)[0];
    return id ? this.byId(id) : undefined;
  }

  byId(id: string): OrgUser | undefined {
    const row = this.store.getLive(id);
    if (!row || !id.startsWith('005')) return undefined;
    return {
      id,
      username: row.Username as string,
      name: [row.FirstName, row.LastName].filter(Boolean).join(' '),
      email: row.Email as string,
      firstName: (row.FirstName as string | null) ?? null,
      lastName: row.LastName as string,
      isActive: row.IsActive === true,
    };
  }

  checkPassword(username: string, password: string): OrgUser | undefined {
    const expected = this.passwords.get(username.toLowerCase());
    if (expected === undefined || expected !== password) return undefined;
    const user = this.findByUsername(username);
    return user?.isActive ? user : undefined;
  }

  setPassword(username: string, password: string): void {
    this.passwords.set(username.toLowerCase(), password);
  }

  /** Permission sets assigned to the user now, and the custom permissions they grant. */
  permissionsOf(userId: string): { permissionSets: string[]; customPermissions: string[] } {
    const permissionSets: string[] = [];
    for (const assignment of this.store.children('PermissionSetAssignment', 'AssigneeId', userId)) {
      const ps = this.store.get(assignment.PermissionSetId as string);
      if (ps) permissionSets.push(ps.Name as string);
    }
    const custom = new Set<string>();
    for (const name of permissionSets) {
      for (const cp of this.metadata.permissionSets.find((p) => p.name === name)?.customPermissions ?? []) {
        custom.add(cp);
      }
    }
    return { permissionSets, customPermissions: [...custom] };
  }
}
