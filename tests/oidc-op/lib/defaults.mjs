// The simulator's built-in accounts and assurance levels (a config file may
// replace them per issuer). Every name and number here is fictional: the
// BSNs are the demo citizens of service/seed.c (test numbers that pass the
// 11-proof), the KVK number is not a registered business.

// DigiD's four levels, lowest first, as the Authentication Context Class
// References DigiD itself uses (SAML 2.0 classes). The NL GOV Assurance
// profile for OIDC (docs/standards/) prefers the eIDAS URIs for `acr`; an
// issuer can use those instead with "acrValues": EIDAS_LEVELS in its config.
export const DIGID_LEVELS = [
  { value: 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport', label: 'Basis (gebruikersnaam en wachtwoord)' },
  { value: 'urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorContract', label: 'Midden (sms-controle of DigiD app)' },
  { value: 'urn:oasis:names:tc:SAML:2.0:ac:classes:Smartcard', label: 'Substantieel (DigiD app met ID-check)' },
  { value: 'urn:oasis:names:tc:SAML:2.0:ac:classes:SmartcardPKI', label: 'Hoog (identiteitskaart)' },
];

export const EIDAS_LEVELS = [
  { value: 'http://eidas.europa.eu/LoA/low', label: 'Laag' },
  { value: 'http://eidas.europa.eu/LoA/substantial', label: 'Substantieel' },
  { value: 'http://eidas.europa.eu/LoA/high', label: 'Hoog' },
];

// Account fields: id (becomes `sub`; never a BSN, so a logged `sub` is no
// personal number), label (shown in the list), and the identity: bsn, kvk,
// act ({"bsn": ...}: who acts for the subject) with authorization
// ({"agencies": [...]}: the scope), represents ([{"bsn"|"kvk", "scope"?}]:
// several authorisations of the signed-in person), roles, org, name.
export const CITIZEN_ACCOUNTS = [
  { id: 'demo-burger-1', label: 'Sanne Voorbeeld', bsn: '999993653' },
  { id: 'demo-burger-2', label: 'Daan Testmans', bsn: '999990019' },
  { id: 'demo-burger-3', label: 'Fenna Proefstra', bsn: '999990032' },
  {
    id: 'demo-machtiging-1',
    label: 'Sanne Voorbeeld, gemachtigd door Fenna Proefstra',
    bsn: '999990032',
    act: { bsn: '999993653' },
  },
  {
    // A machtiging limited to one agency (the `authorization` scope).
    id: 'demo-machtiging-2',
    label: 'Sanne Voorbeeld, gemachtigd door Daan Testmans (alleen voor Gemeente Voorbeeld)',
    bsn: '999990019',
    act: { bsn: '999993653' },
    authorization: { agencies: ['gemeente-voorbeeld'] },
  },
  {
    // An employee of a bewindvoering office (her own BSN) holding two
    // authorisations (issue 14): MijnZaken lets her choose whose cases to
    // see; the second covers only two agencies.
    id: 'demo-bewindvoerder-1',
    label: 'Bram Bewind (Bewindvoering De Steun), bewindvoerder van Daan Testmans en Fenna Proefstra',
    bsn: '999990044',
    represents: [{ bsn: '999990019' }, { bsn: '999990032', scope: { agencies: ['gemeente-voorbeeld', 'uwv'] } }],
  },
  {
    id: 'demo-bedrijf-1',
    label: 'Bakkerij Het Voorbeeld (eHerkenning), ingelogd door Daan Testmans',
    kvk: '90000001',
    act: { bsn: '999990019' },
  },
];

export const STAFF_ACCOUNTS = [
  { id: 'demo-medewerker-1', label: 'Kim Klantcontact (medewerker klantcontactcentrum)', name: 'Kim Klantcontact', roles: ['kcc-medewerker'], org: 'gemeente-voorbeeld' },
  { id: 'demo-beheerder-1', label: 'Bas Beheer (functioneel beheerder)', name: 'Bas Beheer', roles: ['kcc-medewerker', 'functioneel-beheerder'], org: 'gemeente-voorbeeld' },
  { id: 'demo-zonder-rol-1', label: 'Noor Zonderrol (geen rol voor MijnZaken)', name: 'Noor Zonderrol', roles: [], org: 'gemeente-voorbeeld' },
];

// The claim names the OP emits; MZ_OIDC_{KIND}_CLAIMS maps our names to them.
export const CLAIM_NAMES = {
  bsn: 'bsn',
  kvk: 'kvk',
  act: 'act',
  authorization: 'authorization',
  represents: 'represents',
  roles: 'roles',
  org: 'org',
  name: 'name',
};

export const ISSUERS = {
  citizen: {
    path: '/citizen',
    kind: 'citizen',
    title: 'DigiD-simulator',
    heading: 'Kies een demo-burger',
    acrValues: DIGID_LEVELS,
    accounts: CITIZEN_ACCOUNTS,
  },
  staff: {
    path: '/staff',
    kind: 'staff',
    title: 'Inlogsimulator voor medewerkers',
    heading: 'Kies een medewerker',
    acrValues: [EIDAS_LEVELS[1]],
    accounts: STAFF_ACCOUNTS,
  },
};
