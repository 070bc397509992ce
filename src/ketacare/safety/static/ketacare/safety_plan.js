// Print buttons on the safety plan pages (no inline handlers: the CSP allows only 'self').
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-print]");
  if (button) {
    event.preventDefault();
    window.print();
  }
});
