{#- Running totals of each output type from the pilot start, month by month, beside the
    unit's target for that type where the targets seed has one. -#}
-- depends_on: {{ ref('int_build_scope') }}
with monthly as (

    select * from {{ ref('rpt_outputs_unit_period') }}
    where period = 'month'
    {%- if is_incremental() %}
        and unit_code in {{ pilot_rebuild_units() }}
    {%- endif %}

),

targets as (

    select
        upper(trim(unit_code)) as unit_code,
        upper(trim(output_code)) as output_code,
        target_quantity,
        target_date
    from {{ ref('targets') }}

),

running as (

    select
        unit_code,
        period_start as month_start,
        period_end as month_end,
        output_code,
        output_name,
        measure,
        quantity,
        sum(quantity) over (
            partition by unit_code, output_code
            order by period_start
            rows between unbounded preceding and current row
        ) as cumulative_quantity,
        max(case when is_approximate then 1 else 0 end) over (
            partition by unit_code, output_code
            order by period_start
            rows between unbounded preceding and current row
        ) = 1 as cumulative_is_approximate
    from monthly

),

final as (

    select
        running.*,
        targets.target_quantity,
        targets.target_date
    from running
    left join targets
        on targets.unit_code = running.unit_code
        and targets.output_code = running.output_code

)

select * from final
