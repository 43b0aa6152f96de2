// Shared by the demo's modes: the log and small formatting helpers.

const $ = (id) => document.getElementById(id);

export const log = (text, cls = '') => {
  const li = document.createElement('li');
  li.textContent = `${new Date().toLocaleTimeString()}  ${text}`;
  if (cls) li.className = cls;
  $('log').prepend(li);
};

export const kvTable = (rows) =>
  `<table class="kv">${rows.map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td>${v}</td></tr>`).join('')}</table>`;

export const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

