{#- A view: the weekly rows of rpt_unit_metrics, which a build would otherwise copy whole
    (500,000 rows at 2,000 units over five years) though one unit changed. -#}
{{ config(materialized='view') }}

with weekly as (

    select * from {{ ref('rpt_unit_metrics') }}
    where period = 'week'

),

final as (

    select
        unit_code,
        unit_name,
        period_start as week_start,
        period_end as week_end,
        patrols,
        patrol_hours,
        officer_hours,
        issues_found,
        cast(issues_found as double) / nullif(patrol_hours, 0) as issues_per_patrol_hour
    from weekly

)

select * from final
