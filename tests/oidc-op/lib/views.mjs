// The simulator's pages: plain HTML in Dutch, no script, no other host (the
// stylesheet is served by the simulator itself), every form control labelled,
// one h1 per page, a banner saying this is not the real DigiD.

export function esc(s) {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

export const CSS = `
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1a1a1a;background:#fff;line-height:1.5}
.banner{background:#ffb612;color:#000;padding:.75rem 1rem;font-weight:600;border-bottom:3px solid #000}
main{max-width:42rem;margin:0 auto;padding:1rem}
h1{font-size:1.6rem;margin:.5rem 0 1rem}
fieldset{border:1px solid #666;padding:1rem;margin:0 0 1rem}
legend{font-weight:600;padding:0 .25rem}
label{display:block;padding:.35rem 0}
input[type=radio]{width:1.2rem;height:1.2rem;vertical-align:-.2rem;margin-right:.5rem}
select{font-size:1rem;padding:.4rem;max-width:100%}
button{font-size:1rem;padding:.6rem 1.2rem;margin:.25rem .5rem .25rem 0;border:2px solid #01689b;border-radius:4px;cursor:pointer}
button.primary{background:#01689b;color:#fff}
button.secondary{background:#fff;color:#01689b}
button:focus-visible,input:focus-visible,select:focus-visible{outline:3px solid #000;outline-offset:2px}
.hint{color:#444;font-size:.95rem}
.error{border-left:4px solid #d52b1e;padding-left:.75rem}
code{word-break:break-all}
`;

export function page({ title, banner, body }) {
  return `<!doctype html>
<html lang="nl">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${esc(title)}</title>
<link rel="stylesheet" href="/_static/op.css">
</head>
<body>
<div class="banner" role="note">${esc(banner)}</div>
<main>
${body}
</main>
</body>
</html>
`;
}

export function bannerFor(issuer) {
  return `${issuer.title}: dit is een simulator voor tests en demonstraties, niet de echte DigiD, eHerkenning of het inlogsysteem van uw organisatie. Vul hier nooit echte gegevens in.`;
}

/**
 * The login page: pick an account and (for citizens) an assurance level.
 * `minimumAcr` is the lowest level the client asked for with acr_values; it
 * is preselected, but lower levels stay selectable so that a relying party's
 * "assurance level too low" refusal can be tested.
 */
export function loginPage({ issuer, uid, clientName, acrValues, minimumAcr, action, abortAction }) {
  const accounts = issuer.accounts
    .map(
      (a, i) =>
        `<label><input type="radio" name="account" value="${esc(a.id)}"${i === 0 ? ' checked' : ''}> ${esc(a.label)}</label>`,
    )
    .join('\n');
  const levels = acrValues
    .map((l) => `<option value="${esc(l.value)}"${l.value === minimumAcr ? ' selected' : ''}>${esc(l.label)}</option>`)
    .join('\n');
  const asked = minimumAcr
    ? `<p class="hint">De dienst vraagt minstens betrouwbaarheidsniveau <strong>${esc(acrValues.find((l) => l.value === minimumAcr)?.label)}</strong>. Kies een lager niveau om een te laag niveau te testen.</p>`
    : '';
  return page({
    title: `${issuer.heading} – ${issuer.title}`,
    banner: bannerFor(issuer),
    body: `<h1>${esc(issuer.heading)}</h1>
<p>U logt in bij <strong>${esc(clientName)}</strong>.</p>
<form method="post" action="${esc(action)}">
<fieldset>
<legend>Account</legend>
${accounts}
</fieldset>
${
  acrValues.length > 1
    ? `<p><label for="acr-${esc(uid)}">Betrouwbaarheidsniveau</label>
<select id="acr-${esc(uid)}" name="acr">
${levels}
</select></p>
${asked}`
    : `<input type="hidden" name="acr" value="${esc(acrValues[0]?.value ?? '')}">`
}
<button type="submit" class="primary">Inloggen</button>
</form>
<form method="post" action="${esc(abortAction)}">
<button type="submit" class="secondary">Annuleren</button>
</form>`,
  });
}

export function logoutPage({ issuer, form, clientName }) {
  return page({
    title: `Uitloggen – ${issuer.title}`,
    banner: bannerFor(issuer),
    body: `<h1>Uitloggen</h1>
<p>${clientName ? `<strong>${esc(clientName)}</strong> vraagt u uit te loggen.` : 'Wilt u uitloggen?'}
Als u uitlogt, logt u ook uit bij alle andere diensten waar u met deze simulator bent ingelogd.</p>
${form}
<button type="submit" class="primary" form="op.logoutForm" name="logout" value="yes">Uitloggen</button>
<button type="submit" class="secondary" form="op.logoutForm">Alleen bij deze dienst uitloggen</button>`,
  });
}

export function loggedOutPage({ issuer, clientName }) {
  return page({
    title: `Uitgelogd – ${issuer.title}`,
    banner: bannerFor(issuer),
    body: `<h1>U bent uitgelogd</h1>
<p>${clientName ? `U bent uitgelogd bij ${esc(clientName)}.` : 'U bent uitgelogd.'} U kunt dit venster sluiten.</p>`,
  });
}

export function errorPage({ issuer, error, description }) {
  return page({
    title: `Er ging iets mis – ${issuer.title}`,
    banner: bannerFor(issuer),
    body: `<h1>Er ging iets mis</h1>
<div class="error"><p>De inlogvraag kon niet worden verwerkt.</p>
<p>Foutcode: <code>${esc(error)}</code></p>
${description ? `<p>Toelichting (Engels): ${esc(description)}</p>` : ''}</div>
<p>Ga terug naar de dienst en probeer het opnieuw.</p>`,
  });
}
