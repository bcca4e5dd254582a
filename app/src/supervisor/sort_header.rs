//! A sortable column header: a button in the `<th>`, whose `aria-sort`
//! says how the table is sorted (the arrow is CSS, not text, so the
//! header's accessible name is its label alone).

use leptos::prelude::*;

use super::table::Sort;

#[component]
pub fn SortHeader<C>(label: &'static str, column: C, sort: RwSignal<Sort<C>>) -> impl IntoView
where
    C: Copy + PartialEq + Send + Sync + 'static,
{
    view! {
        <th scope="col" aria-sort=move || sort.get().aria(column)>
            <button class="sort" type="button" on:click=move |_| sort.update(|s| *s = s.toggle(column))>
                {label}
            </button>
        </th>
    }
}
