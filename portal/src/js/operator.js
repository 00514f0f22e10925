// Who runs this MijnZaken, for citizens with a question about their data in
// MijnZaken itself (a look-up they do not recognise that is recorded under
// MijnZaken's own name, or not knowing whom to ask). The service has no
// setting for this: the operator edits these lines before building the
// portal. The values below are placeholders for the demo (.example is a
// reserved domain). Shown as text and links only: nothing is loaded from them.
export const OPERATOR = {
  /** How the operator is named to citizens. */
  name: 'de beheerder van MijnZaken',
  /** E-mail address for privacy questions (or null). */
  privacyEmail: 'privacy@mijnzaken.example',
  /** A web page about privacy at MijnZaken, https (or null). */
  privacyUrl: null,
};

/** The Dutch data protection authority, where a citizen can complain. */
export const DPA = { name: 'Autoriteit Persoonsgegevens', url: 'https://autoriteitpersoonsgegevens.nl/', host: 'autoriteitpersoonsgegevens.nl' };
