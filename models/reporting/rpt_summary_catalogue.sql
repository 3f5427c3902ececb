{#- The delegated catalogue as the summary states it: categories and items of enforcement
    (disputes are not delegated powers), and how many departments delegated them. -#}
with items as (

    select * from {{ ref('dim_items') }}

),

delegated as (

    select
        category_code,
        category,
        item_code,
        delegating_dept
    from items
    where is_enforcement and not is_dispute

),

categories as (

    select
        category_code,
        min(category) as category,
        min(item_code) as first_item
    from delegated
    group by category_code

),

category_names as (

    select
        {{ dbt.listagg('category', "'、'", 'order by first_item') }} as category_names
    from categories

),

totals as (

    select
        count(distinct category_code) as categories,
        count(*) as items,
        count(distinct delegating_dept) as delegating_departments
    from delegated

),

final as (

    select
        totals.categories,
        totals.items,
        totals.delegating_departments,
        category_names.category_names
    from totals
    cross join category_names

)

select * from final
