// GOV.UK Frontend and MoJ Frontend components (error summary focus, conditional reveals,
// service navigation on small screens), then foiflow's one enhancement: the answer form shows
// only the sections the chosen kind of answer uses. Without JavaScript every section shows, and
// the server sends only the chosen kind's fields.
import { initAll as initGovuk } from '/static/govuk/govuk-frontend.min.js'
import { initAll as initMoj } from '/static/moj/moj-frontend.min.js'

initGovuk()
initMoj()

for (const form of document.querySelectorAll('[data-answer-form]')) {
  const sections = form.querySelectorAll('[data-answer-kinds]')
  const show = () => {
    const chosen = form.querySelector('input[name="kind"]:checked')
    for (const section of sections) {
      const kinds = section.dataset.answerKinds.split(' ')
      section.hidden = chosen !== null && !kinds.includes(chosen.value)
    }
  }
  form.addEventListener('change', (event) => {
    if (event.target.name === 'kind') show()
  })
  show()
}
