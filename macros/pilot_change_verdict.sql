{% macro pilot_change_verdict(current, previous, is_event_count) -%}
    {#- The z_score and is_notable columns of a change: the Poisson comparison for counts of
        events, and for output quantities no z-score and never notable (pilot_is_event_count). -#}
    case
        when {{ is_event_count }} then {{ pilot_poisson_z(current, previous) }}
    end as z_score,
    ({{ is_event_count }} and {{ pilot_is_notable(current, previous) }}) as is_notable
{%- endmacro %}
